"""Medians [range] of back-to-back.sh runs: python3 docs/bench/back-to-back-summary.py OUT_DIR"""
import glob, json, statistics, sys
rows = {}
for side in ("old", "new"):
    for path in sorted(glob.glob(f"{sys.argv[1]}/{side}-*/pipeline.json")):
        d = json.load(open(path))
        for row in d["rows"]:
            key = (row["configuration"], side)
            rows.setdefault(key, []).append(row)
def fmt(vals, f):
    return f"{f(statistics.median(vals))} [{f(min(vals))}-{f(max(vals))}]"
print("| configuration | in-process frames/s before | after | Kafka frames/s before | after | Kafka / in-process before | after | p99 ms before | after |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for conf in ["resnet20 alone", "sievenet_m_kd alone", "cascade, eps = 1%"]:
    cells = [conf]
    for metric in ("ip", "k", "ratio", "p99"):
        for side in ("old", "new"):
            rs = rows.get((conf, side), [])
            if metric == "ip":
                v = [r["in_process"]["framesPerSecond"] for r in rs]; cells.append(fmt(v, lambda x: f"{x:,.0f}"))
            elif metric == "k":
                v = [r["kafka"]["framesPerSecond"] for r in rs]; cells.append(fmt(v, lambda x: f"{x:,.0f}"))
            elif metric == "ratio":
                v = [r["kafka"]["framesPerSecond"] / r["in_process"]["framesPerSecond"] for r in rs]; cells.append(fmt(v, lambda x: f"{100*x:.0f}%"))
            else:
                v = [r["kafka"]["p99Millis"] for r in rs]; cells.append(fmt(v, lambda x: f"{x:.0f}"))
    print("| " + " | ".join(cells) + " |")
print("runs per side:", {k: len(v) for k, v in rows.items()})
