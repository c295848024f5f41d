package io.sieve.cascade.definition;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How a stage before the last behaved on the calibration frames under the chosen thresholds: how
 * many frames reached it, how many it decided (exited), and on how many of those the last stage's
 * label differs. A live stream is compared against these shares by the drift alarm.
 */
public record ExitProfile(@JsonProperty(value = "reached", required = true) long reached,
                          @JsonProperty(value = "exited", required = true) long exited,
                          @JsonProperty(value = "exited_disagreeing", required = true) long exitedDisagreeing) {

    public ExitProfile {
        if (reached < 0 || exited < 0 || exited > reached || exitedDisagreeing < 0 || exitedDisagreeing > exited) {
            throw new IllegalArgumentException("an exit profile needs 0 <= exited_disagreeing <= exited <= reached, got "
                    + exitedDisagreeing + ", " + exited + ", " + reached);
        }
    }
}
