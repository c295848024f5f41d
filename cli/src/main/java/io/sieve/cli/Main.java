package io.sieve.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./sieve} launcher. */
@Command(name = "sieve", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Fast retrospective and live image analytics over camera streams.",
        subcommands = {PlatformCommand.class, StreamCommand.class, ProduceCommand.class, QueryLifecycleCommand.class, UiCommand.class, DemoCommand.class, ModelCommand.class, CalibrateCommand.class, ProfileCommand.class, GuaranteeCheckCommand.class, EvaluateCommand.class, FilterCommand.class, BenchCommand.class,
            CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, command, parsed) -> {
            // Expected failures (bad input, a port in use, ...) carry a message meant for the user.
            command.getErr().println(command.getColorScheme().errorText("error: " + e.getMessage()));
            if (Boolean.getBoolean("sieve.debug")) {
                e.printStackTrace(command.getErr());
            }
            return 1;
        });
        return cli;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = Main.class.getPackage().getImplementationVersion();
            return new String[] {"sieve " + (version == null ? "development build" : version)};
        }
    }
}
