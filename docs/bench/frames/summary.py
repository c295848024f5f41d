"""Per-frame pixel costs from FramePixelsBenchmark's JSON: median [range] over every measured iteration of every fork.
Run: python3 docs/bench/frames/summary.py LOG JSON [JSON ...]   (a later JSON's results replace an earlier one's)"""
import json, re, statistics, sys

results = [b for path in sys.argv[2:] for b in json.load(open(path))]
sizes = {}
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"\[payload\] (\d+)x\d+ (\w+): ([\d,]+) bytes", line)
    if m:
        sizes[(m.group(1), m.group(2))] = int(m.group(3).replace(",", ""))
cells = {}
for b in results:
    values = [v for fork in b["primaryMetric"]["rawData"] for v in fork]
    cells[(b["benchmark"].split(".")[-1], b["params"]["side"], b["params"]["encoding"])] = values
print("| frame | encoding | bytes per frame | producer: encode (us) | stage: decode (us) | stage: decode + resize to 32x32 (us) |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for side in ("32", "96", "224"):
    for enc in ("RAW", "JPEG", "PNG"):
        row = [f"{side}x{side}", enc, f"{sizes.get((side, enc), 0):,}"]
        for bench in ("encode", "decode", "decodeAndResizeTo32"):
            v = cells[(bench, side, enc)]
            row.append(f"{statistics.median(v):,.1f} [{min(v):,.1f}-{max(v):,.1f}]")
        print("| " + " | ".join(row) + " |")
