#!/usr/bin/python3
"""tools/bench_report.py OUT — summarizes a tools/bench.sh run in OUT (BUILD/bench): reads
raw.jsonl (one line per timed process), peak.json (peak_probe) and models/manifest.json;
prints the table, writes OUT/results.json and a self-contained OUT/report.html (inline SVG,
no external resources).

Engines: odin (the JIT, `odinc run`), aot (`odinc compile` executable), ort
(onnxruntime-node), wasm (`odinc wasm` module in Node), ortweb (onnxruntime-web's wasm
backend in Node). Per model, thread count and engine the time is the median over processes
of each process's median (min_ms: the fastest run seen). Ratios: ODIN/ORT (JIT time over
native ORT time), AOT/JIT, and web/WASM (ORT-web time over ODIN-WASM time: a speedup).
GFLOP/s counts MatMul/Gemm/Conv multiply-adds as 2 FLOPs; % of peak is against
peak_probe's FMA rate for that many threads. The check column compares each ODIN engine's
outputs with ONNX Runtime's (native, else web) from their first processes.
"""
import glob
import html
import json
import math
import os
import platform
import statistics
import sys

import numpy as np


def load_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def peak_for(peak, threads):
    """The FMA ceiling for `threads` threads: measured for 1 and for all CPUs, else scaled."""
    if threads == 1:
        return peak["fma_gflops_1"]
    if threads == peak["threads"]:
        return peak["fma_gflops_n"]
    return peak["fma_gflops_1"] * min(threads, peak["threads"])


ENGINES = ("odin", "aot", "ort", "wasm", "ortweb")
ODIN_ENGINES = (("odin", "jit"), ("aot", "aot"), ("wasm", "wasm"))


def check_outputs(out, model):
    """'ok', 'MISMATCH (...)' or 'n/a' for all ODIN engines that kept outputs, against ORT's
    (native, else web); a mismatch names the engine."""
    ort_files = []
    for ref in ("ort", "ortweb"):
        ort_dir = os.path.join(out, "check", model, ref)
        ort_files = sorted(glob.glob(os.path.join(ort_dir, "*.npy")))
        if ort_files:
            break
    results = []
    for engine, label in ODIN_ENGINES:
        r = check_engine(os.path.join(out, "check", model, engine), ort_files)
        if r.startswith("MISMATCH"):
            return "%s %s" % (label, r)
        results.append(r)
    return "ok" if "ok" in results else "n/a"


def check_engine(odin_dir, ort_files):
    """ODIN's outputs in odin_dir against ORT's, tolerance scaled to the magnitude of the
    outputs (float32 sums in a different order)."""
    if not ort_files or not glob.glob(os.path.join(odin_dir, "*.npy")):
        return "n/a"
    worst = 0.0
    for f in ort_files:
        other = os.path.join(odin_dir, os.path.basename(f))
        if not os.path.exists(other):
            return "n/a"
        want, got = np.load(f), np.load(other)
        if want.shape != got.shape:
            return "MISMATCH (shape %s vs %s)" % (list(got.shape), list(want.shape))
        scale = float(np.abs(want).max()) if want.size else 0.0
        err = float(np.abs(got.astype(np.float64) - want).max()) if want.size else 0.0
        worst = max(worst, err / scale if scale > 0 else err)
    return "ok" if worst <= 1e-3 else "MISMATCH (rel err %.2g)" % worst


def summarize(rows, manifest, peak, out):
    flops = {m["name"]: m["flops"] for m in manifest}
    order = [m["name"] for m in manifest]
    keys = sorted({(r["model"], r["threads"]) for r in rows},
                  key=lambda k: (order.index(k[0]) if k[0] in order else 99, k[1]))
    results = []
    for model, threads in keys:
        entry = {"model": model, "threads": threads, "flops": flops.get(model)}
        for engine in ENGINES:
            runs = [r for r in rows if r["model"] == model and r["threads"] == threads
                    and r["engine"] == engine]
            good = [r["result"] for r in runs if r["ok"]]
            if not runs:
                entry[engine] = {}
                continue
            e = {"processes": len(good), "failed": len(runs) - len(good)}
            if good:
                e["median_ms"] = statistics.median(g["median_ms"] for g in good)
                e["min_ms"] = min(g["min_ms"] for g in good)
                e["process_medians_ms"] = [g["median_ms"] for g in good]
                e["iters"] = [r["iters"] for r in runs if r["ok"]]
                for extra in ("load_ms", "arena_bytes", "peak_rss_mb"):
                    vals = [g[extra] for g in good if isinstance(g.get(extra), (int, float))]
                    if vals:
                        e[extra] = statistics.median(vals)
                # the wasm loader's choice: the plain SIMD128 or the relaxed-SIMD module
                simd = sorted({g["simd"] for g in good if isinstance(g.get("simd"), str)})
                if simd:
                    e["simd"] = ",".join(simd)
                # A cold compile (cache miss) and loading from the compile cache differ by
                # orders of magnitude: keep them apart.
                cold = [g["compile_ms"] for g in good if "compile_ms" in g
                        and g.get("cache", "miss") == "miss"]
                warm = [g["compile_ms"] for g in good if "compile_ms" in g
                        and g.get("cache", "miss") != "miss"]
                if cold:
                    e["compile_ms"] = max(cold)
                if warm:
                    e["cached_compile_ms"] = statistics.median(warm)
                if flops.get(model):
                    e["gflops"] = flops[model] / (e["median_ms"] * 1e6)
                    e["pct_peak"] = 100.0 * e["gflops"] / peak_for(peak, threads)
            else:
                e["error"] = next((r.get("error") for r in runs if not r["ok"]), "no runs")
            entry[engine] = e
        if "median_ms" in entry["odin"] and "median_ms" in entry["ort"]:
            entry["ratio"] = entry["odin"]["median_ms"] / entry["ort"]["median_ms"]
            entry["ratio_min"] = entry["odin"]["min_ms"] / entry["ort"]["min_ms"]
        if "median_ms" in entry["aot"] and "median_ms" in entry["odin"]:
            entry["aot_jit"] = entry["aot"]["median_ms"] / entry["odin"]["median_ms"]
        if "median_ms" in entry["wasm"] and "median_ms" in entry["ortweb"]:
            entry["web_speedup"] = entry["ortweb"]["median_ms"] / entry["wasm"]["median_ms"]
        entry["check"] = check_outputs(out, model)
        results.append(entry)
    return results


def fmt(v, spec, missing="-"):
    return missing if v is None else format(v, spec)


def table(results):
    head = ["model", "thr", "JIT ms", "AOT ms", "ORT ms", "JIT/ORT", "(min)", "AOT/JIT",
            "WASM ms", "ORTweb ms", "web/WASM", "JIT GF/s", "%peak", "ORT GF/s", "%peak",
            "compile ms", "check"]
    lines = []

    def ms(e):
        # "fail" for an engine that ran and failed, "-" for one not run at this thread count
        return fmt(e.get("median_ms"), ".3f", "fail" if e else "-")

    for r in results:
        o, t = r["odin"], r["ort"]
        lines.append([
            r["model"], str(r["threads"]), ms(o), ms(r["aot"]), ms(t),
            fmt(r.get("ratio"), ".2f"), fmt(r.get("ratio_min"), ".2f"), fmt(r.get("aot_jit"), ".2f"),
            ms(r["wasm"]), ms(r["ortweb"]), fmt(r.get("web_speedup"), ".2f"),
            fmt(o.get("gflops"), ".1f"), fmt(o.get("pct_peak"), ".1f"),
            fmt(t.get("gflops"), ".1f"), fmt(t.get("pct_peak"), ".1f"),
            fmt(o.get("compile_ms"), ".0f"), r["check"]])
    widths = [max(len(x) for x in col) for col in zip(head, *lines)]
    out = []
    for row in [head] + lines:
        out.append("  ".join(c.ljust(w) if i in (0, len(head) - 1) else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))))
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def svg_chart(results, key="ratio", title="ODIN time / ORT time (log scale; left of 1: ODIN "
              "faster)"):
    """Horizontal bars of log2(results[key]), an ODIN/ORT time ratio: left of the 1.0 line
    ODIN is faster."""
    rows = [r for r in results if r.get(key)]
    if not rows:
        return "<p>No model ran on both engines.</p>"
    logs = [math.log2(r[key]) for r in rows]
    lo = min(-1, math.floor(min(logs)))
    hi = max(1, math.ceil(max(logs)))
    label_w, plot_w, bar_h, gap, top = 210, 560, 18, 6, 30
    height = top + len(rows) * (bar_h + gap) + 30
    x = lambda v: label_w + (v - lo) / (hi - lo) * plot_w
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
             'font-family="sans-serif" font-size="12">' % (label_w + plot_w + 70, height)]
    for k in range(lo, hi + 1):
        tick = 2.0 ** k
        text = ("%g" % tick) if tick >= 1 else "1/%g" % (1 / tick)
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>'
                     % (x(k), top - 5, x(k), height - 25, "#333" if k == 0 else "#ddd"))
        parts.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>'
                     % (x(k), height - 10, text))
    parts.append('<text x="%d" y="15">%s</text>' % (label_w, html.escape(title)))
    for i, (r, v) in enumerate(zip(rows, logs)):
        y = top + i * (bar_h + gap)
        x0, x1 = sorted((x(0), x(v)))
        color = "#2a9d3f" if v <= 0 else "#d1495b"
        parts.append('<text x="%d" y="%d" text-anchor="end">%s, %d thr</text>'
                     % (label_w - 8, y + bar_h - 5, html.escape(r["model"]), r["threads"]))
        parts.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                     % (x0, y, max(x1 - x0, 1), bar_h, color))
        parts.append('<text x="%.1f" y="%d">%.2f</text>' % (x1 + 4, y + bar_h - 5, r[key]))
    parts.append("</svg>")
    return "\n".join(parts)


def write_html(path, doc, text_table):
    p = doc["machine"]["peak"]
    body = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>ODIN vs ONNX Runtime</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}
pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style></head><body>
<h1>ODIN (%s, AOT, WASM) vs ONNX Runtime %s (native, web)</h1>
<p>%s, %d CPUs. Peak fp32 FMA: %.1f GFLOP/s on 1 thread, %.1f on %d; streaming read:
%.1f GB/s on 1 thread, %.1f on %d. %d processes per engine, model and thread count;
times are medians of per-process medians; (min) is the ratio of the fastest runs. Load
average when the bench ended: %s.</p>
<h2>Native: ODIN's JIT vs onnxruntime-node</h2>
%s
<h2>WebAssembly, 1 thread: ODIN's wasm module vs onnxruntime-web (wasm backend, SIMD)</h2>
%s
<h2>Table</h2>
<pre>%s</pre>
<p>GF/s: MatMul/Gemm/Conv multiply-adds &times; 2 per second; %%peak against the FMA
ceiling for that thread count. compile ms: ODIN's cold compile (the first process; later
ones load it from the compile cache). AOT/JIT: the <code>odinc compile</code> executable's time
over the JIT's. web/WASM: onnxruntime-web's time over ODIN's wasm module's (a speedup; both
in Node, one thread, SIMD). check: the outputs of ODIN's JIT, AOT and wasm engines against
ORT's (relative error &le; 1e-3).</p>
</body></html>
""" % (html.escape(doc["odin_engine"]), html.escape(doc["ort_version"]),
       html.escape(doc["machine"]["cpu"]), doc["machine"]["cpus"],
       p["fma_gflops_1"], p["fma_gflops_n"], p["threads"], p["read_gbs_1"], p["read_gbs_n"],
       p["threads"], doc["reps"], html.escape(doc["machine"]["loadavg"]), svg_chart(doc["results"]),
       svg_chart([dict(r, wasm_ratio=1 / r["web_speedup"]) for r in doc["results"]
                  if r.get("web_speedup")], "wasm_ratio",
                 "ODIN-WASM time / ORT-web time (log scale; left of 1: ODIN faster)"),
       html.escape(text_table))
    with open(path, "w") as f:
        f.write(body)


def ort_version(out):
    for pkg in ("onnxruntime-node", "onnxruntime-web"):
        try:
            with open(os.path.join(out, "node_modules", pkg, "package.json")) as f:
                return json.load(f)["version"]
        except (OSError, KeyError, ValueError):
            pass
    return "unknown"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: bench_report.py OUT")
    out = sys.argv[1]
    rows = load_jsonl(os.path.join(out, "raw.jsonl"))
    with open(os.path.join(out, "peak.json")) as f:
        peak = json.load(f)
    with open(os.path.join(out, "models", "manifest.json")) as f:
        manifest = json.load(f)
    results = summarize(rows, manifest, peak, out)
    engines = sorted({r["result"].get("engine", "?") for r in rows
                      if r["ok"] and r["engine"] == "odin"})
    doc = {
        "machine": {"cpu": cpu_name(), "cpus": os.cpu_count(), "peak": peak,
                    "loadavg": " ".join("%.1f" % v for v in os.getloadavg())},
        "odin_engine": ",".join(engines) or "none",
        "ort_version": ort_version(out),
        "reps": max((r["rep"] for r in rows), default=0),
        "results": results,
    }
    text = table(results)
    simd = sorted({r["wasm"]["simd"] for r in results if r["wasm"].get("simd")})
    if simd:
        doc["wasm_simd"] = ",".join(simd)
        text += "\nODIN-WASM ran the %s SIMD module (the loader's pick)" % doc["wasm_simd"]
    print(text)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    write_html(os.path.join(out, "report.html"), doc, text)
    print("bench: wrote %s and %s" % (os.path.join(out, "results.json"),
                                       os.path.join(out, "report.html")))


if __name__ == "__main__":
    main()
