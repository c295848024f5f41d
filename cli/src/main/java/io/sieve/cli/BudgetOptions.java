package io.sieve.cli;

import io.sieve.schemas.QueryCommand;
import picocli.CommandLine.Option;

/** Whether a query's thresholds correct themselves to keep the cascade's budget, as `query start` and `produce --query` take it. */
final class BudgetOptions {
    @Option(names = "--self-correct", negatable = true, description = "Let the live audit raise (and lower again) the query's exit "
            + "thresholds to keep the cascade's accuracy-loss budget on this stream; --no-self-correct keeps calibration's "
            + "(default: on; retrospective queries only).")
    Boolean selfCorrect;

    QueryCommand.Builder applyTo(QueryCommand.Builder command, boolean live) {
        if (live && selfCorrect != null) {
            throw new IllegalArgumentException("--self-correct is for retrospective queries: live frames are shared by every live query");
        }
        return command.setSelfCorrect(selfCorrect);
    }
}
