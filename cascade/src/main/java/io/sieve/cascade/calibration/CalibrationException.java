package io.sieve.cascade.calibration;

/** The calibration cannot be done as asked (an impossible budget, an unknown model, ...). */
public class CalibrationException extends RuntimeException {
    public CalibrationException(String message) {
        super(message);
    }
}
