package io.sieve.cascade.calibration;

/**
 * What the user will accept: at most {@code value} accuracy lost against the last stage alone
 * (Berestizshevsky and Even's budget, taken end to end), or at least {@code value} accuracy
 * (BranchyNet's target). Both must hold at the chosen confidence level, not just on average.
 */
public record Budget(Kind kind, double value) {
    public enum Kind { MAX_LOSS, MIN_ACCURACY }

    public Budget {
        if (!Double.isFinite(value)) {
            throw new CalibrationException("the budget must be a finite number, got " + value);
        }
        if (kind == Kind.MAX_LOSS && (value < 0 || value >= 1)) {
            throw new CalibrationException("the accuracy-loss budget eps must be in [0, 1), got " + value
                    + (value >= 1 ? " (give a fraction: 0.01 for one point)" : ""));
        }
        if (kind == Kind.MIN_ACCURACY && (value <= 0 || value > 1)) {
            throw new CalibrationException("the target accuracy must be in (0, 1], got " + value);
        }
    }

    public static Budget maxLoss(double eps) {
        return new Budget(Kind.MAX_LOSS, eps);
    }

    public static Budget minAccuracy(double target) {
        return new Budget(Kind.MIN_ACCURACY, target);
    }

    @Override
    public String toString() {
        return kind == Kind.MAX_LOSS ? String.format("accuracy loss <= %.2f points", 100 * value)
                : String.format("accuracy >= %.2f%%", 100 * value);
    }
}
