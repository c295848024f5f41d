package io.sieve.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input on the command line is refused at once with a message naming it, before any broker is looked for. */
class CommandLineTest {
    private record Run(int exit, String err) {
    }

    private static Run run(String... args) {
        CommandLine cli = Main.commandLine();
        StringWriter err = new StringWriter();
        cli.setErr(new PrintWriter(err));
        cli.setOut(new PrintWriter(new StringWriter()));
        int exit = cli.execute(args);
        return new Run(exit, err.toString());
    }

    @Test
    void produceRefusesNonsensicalNumbers() {
        assertThat(run("produce", "--synthetic", "--limit", "-5")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("--limit must be at least 1 frame, got -5");
        });
        assertThat(run("produce", "--synthetic", "--fps", "-3").err()).contains("--fps must be 0 (as fast as possible) or a positive rate, got -3.0");
        assertThat(run("produce", "--synthetic", "--batch", "0").err()).contains("--batch must be at least 1");
        assertThat(run("produce", "--synthetic", "--cameras", "0").err()).contains("--cameras must be at least 1");
    }

    @Test
    void aFolderWhereAFileIsExpectedIsNamedAsAFolder(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("data"));
        assertThat(run("evaluate", "--cascade", dir.toString()).err()).contains(dir + " is a folder; give a cascade file");
        assertThat(run("stream", "--cascade", dir.toString()).err()).contains("is a folder; give a cascade file");
    }

    @Test
    void aStageTheCascadeDoesNotHaveIsRefusedBeforeAnyTopicIsCreated(@TempDir Path dir) throws Exception {
        Path cascade = FixtureCascade.write(dir);
        Run run = run("stream", "--cascade", cascade.toString(), "--stages", "7");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).contains("stage 7 does not exist; the cascade has stages 0-1");
    }

    @Test
    void queryIdsAreCheckedBeforeAnyBrokerIsAsked() {
        assertThat(run("query", "watch", "<b>").err()).contains("'<b>'");
        assertThat(run("query", "abort", "no spaces allowed").err()).contains("'no spaces allowed'");
    }
}
