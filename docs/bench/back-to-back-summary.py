"""Medians [range] of interleaved bench pipeline runs, OUT_DIR/<side>-<round>/pipeline.json:
python3 docs/bench/back-to-back-summary.py OUT_DIR [BEFORE AFTER]   (sides default to old new: back-to-back.sh;
audit-cost.sh writes off and on)"""
import glob, json, statistics, sys
sides = tuple(sys.argv[2:4]) if len(sys.argv) > 3 else ("old", "new")
rows = {}
for side in sides:
    for path in sorted(glob.glob(f"{sys.argv[1]}/{side}-*/pipeline.json")):
        d = json.load(open(path))
        for row in d["rows"]:
            key = (row["configuration"], side)
            rows.setdefault(key, []).append(row)
def fmt(vals, f):
    return f"{f(statistics.median(vals))} [{f(min(vals))}-{f(max(vals))}]"
print(f"| configuration | in-process frames/s {sides[0]} | {sides[1]} | Kafka frames/s {sides[0]} | {sides[1]} | Kafka / in-process {sides[0]} | {sides[1]} "
      f"| p99 ms {sides[0]} | {sides[1]} | expensive calls {sides[0]} | {sides[1]} | of them audits {sides[0]} | {sides[1]} |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for conf in ["resnet20 alone", "sievenet_m_kd alone", "cascade, eps = 1%"]:
    cells = [conf]
    for metric in ("ip", "k", "ratio", "p99", "calls", "audits"):
        for side in sides:
            rs = rows.get((conf, side), [])
            if metric == "ip":
                v = [r["in_process"]["framesPerSecond"] for r in rs]; cells.append(fmt(v, lambda x: f"{x:,.0f}"))
            elif metric == "k":
                v = [r["kafka"]["framesPerSecond"] for r in rs]; cells.append(fmt(v, lambda x: f"{x:,.0f}"))
            elif metric == "ratio":
                v = [r["kafka"]["framesPerSecond"] / r["in_process"]["framesPerSecond"] for r in rs]; cells.append(fmt(v, lambda x: f"{100*x:.0f}%"))
            elif metric == "p99":
                v = [r["kafka"]["p99Millis"] for r in rs]; cells.append(fmt(v, lambda x: f"{x:.0f}"))
            else:
                # Runs before the audit existed recorded no audit count.
                field = "expensiveCalls" if metric == "calls" else "auditCalls"
                v = [r["kafka"].get(field, 0) for r in rs]; cells.append(fmt(v, lambda x: f"{x:,.0f}"))
    print("| " + " | ".join(cells) + " |")
print("runs per side:", {k: len(v) for k, v in rows.items()})
