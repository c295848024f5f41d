package io.sieve.ui;

import io.sieve.schemas.AuditProgress;
import io.sieve.schemas.ClassEstimate;
import io.sieve.schemas.DriftCheck;
import io.sieve.schemas.PrecisionProgress;
import io.sieve.schemas.Progress;
import io.sieve.schemas.StageProgress;
import io.sieve.schemas.StageThreshold;
import io.sieve.schemas.ThresholdProgress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The latest progress of every query, with a bounded history of its estimates for the charts. */
final class ProgressBoard {
    static final int HISTORY = 600;

    private final Map<String, Map<String, Object>> latest = new ConcurrentHashMap<>();
    private final Map<String, Deque<Map<String, Object>>> history = new ConcurrentHashMap<>();

    /** Records a progress update and returns its JSON-ready view (with the query's history). */
    Map<String, Object> update(Progress p) {
        Map<String, Object> view = view(p);
        Deque<Map<String, Object>> points = history.computeIfAbsent(p.getQueryId(), k -> new ArrayDeque<>());
        synchronized (points) {
            if (p.getEstimatedAccuracy() != null) {
                Map<String, Object> point = new LinkedHashMap<>();
                point.put("seen", p.getFramesSeen());
                point.put("accuracy", p.getEstimatedAccuracy());
                point.put("low", p.getAccuracyLow());
                point.put("high", p.getAccuracyHigh());
                point.put("trueAccuracy", p.getTrueAccuracy());
                points.addLast(point);
                while (points.size() > HISTORY) {
                    points.removeFirst();
                }
            }
            view.put("history", new ArrayList<>(points));
        }
        latest.put(p.getQueryId(), view);
        return view;
    }

    List<Map<String, Object>> all() {
        return latest.values().stream()
                .sorted((a, b) -> Long.compare((Long) b.get("emitted"), (Long) a.get("emitted")))
                .toList();
    }

    private static Map<String, Object> view(Progress p) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", p.getQueryId());
        v.put("state", p.getState().name());
        v.put("expected", p.getFramesExpected());
        v.put("seen", p.getFramesSeen());
        v.put("nothingInView", p.getFramesNothingInView());
        v.put("nothingInViewLabelled", p.getNothingInViewLabelled());
        v.put("fps", p.getThroughputFps());
        v.put("eta", p.getEtaSeconds());
        v.put("target", p.getTargetClass());
        v.put("accuracy", p.getEstimatedAccuracy());
        v.put("accuracyLow", p.getAccuracyLow());
        v.put("accuracyHigh", p.getAccuracyHigh());
        v.put("trueAccuracy", p.getTrueAccuracy());
        AuditProgress audit = p.getAudit();
        if (audit != null) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("earlyDecided", audit.getEarlyDecided());
            a.put("audited", audit.getAudited());
            a.put("disagreements", audit.getDisagreements());
            a.put("disagreement", audit.getDisagreement());
            a.put("low", audit.getDisagreementLow());
            a.put("high", audit.getDisagreementHigh());
            a.put("scope", audit.getScope());
            a.put("note", audit.getNote());
            v.put("audit", a);
        }
        PrecisionProgress precision = p.getPrecision();
        if (precision != null) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("level", precision.getLevel());
            r.put("requestedShare", precision.getRequestedShare());
            r.put("requestedCount", precision.getRequestedCount());
            r.put("scope", precision.getScope());
            r.put("halfWidth", precision.getHalfWidth());
            r.put("shareHalfWidth", precision.getShareHalfWidth());
            r.put("reached", precision.getReached());
            r.put("note", precision.getNote());
            v.put("precision", r);
        }
        ThresholdProgress thresholds = p.getThresholds();
        if (thresholds != null) {
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("budget", thresholds.getBudget());
            t.put("loss", thresholds.getLoss());
            t.put("lossLow", thresholds.getLossLow());
            t.put("lossHigh", thresholds.getLossHigh());
            t.put("note", thresholds.getNote());
            List<Map<String, Object>> stages = new ArrayList<>();
            for (StageThreshold st : thresholds.getStages()) {
                Map<String, Object> stage = new LinkedHashMap<>();
                stage.put("stage", st.getStage());
                stage.put("model", st.getModel());
                stage.put("calibrated", st.getCalibrated());
                stage.put("current", st.getCurrent());
                stage.put("changes", st.getChanges());
                stages.add(stage);
            }
            t.put("stages", stages);
            t.put("changes", thresholds.getChanges().size());
            v.put("thresholds", t);
        }
        v.put("driftWarning", p.getDriftWarning());
        v.put("driftNote", p.getDriftNote());
        List<Map<String, Object>> drift = new ArrayList<>();
        for (DriftCheck c : p.getDrift()) {
            Map<String, Object> check = new LinkedHashMap<>();
            check.put("stage", c.getStage());
            check.put("model", c.getModel());
            check.put("measure", c.getMeasure().name());
            check.put("expected", c.getExpected());
            check.put("expectedLow", c.getExpectedLow());
            check.put("expectedHigh", c.getExpectedHigh());
            check.put("observed", c.getObserved());
            check.put("frames", c.getFrames());
            check.put("alarm", c.getAlarm());
            drift.add(check);
        }
        v.put("drift", drift);
        v.put("emitted", p.getEmittedTime().toEpochMilli());
        List<Map<String, Object>> stages = new ArrayList<>();
        for (StageProgress s : p.getStages()) {
            Map<String, Object> stage = new LinkedHashMap<>();
            stage.put("stage", s.getStage());
            stage.put("model", s.getModel());
            stage.put("framesIn", s.getFramesIn());
            stage.put("decided", s.getFramesDecided());
            stage.put("meanMicros", s.getMeanInferenceMicros());
            stages.add(stage);
        }
        v.put("stages", stages);
        List<Map<String, Object>> classes = new ArrayList<>();
        for (ClassEstimate c : p.getClasses()) {
            Map<String, Object> cls = new LinkedHashMap<>();
            cls.put("name", c.getName());
            cls.put("predicted", c.getPredicted());
            cls.put("estimate", c.getEstimate());
            cls.put("low", c.getLow());
            cls.put("high", c.getHigh());
            cls.put("audited", c.getAuditedEstimate());
            cls.put("auditedLow", c.getAuditedLow());
            cls.put("auditedHigh", c.getAuditedHigh());
            classes.add(cls);
        }
        v.put("classes", classes);
        return v;
    }
}
