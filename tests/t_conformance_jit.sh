#!/bin/sh
# tests/t_conformance_jit.sh — the conformance ratchet on the JIT engine: the ONNX backend
# node tests through `odinc check --engine jit` must pass at least
# tests/conformance_baseline_jit.txt of them (the JIT should pass every test the reference
# passes; its eval fallback keeps ops without a lowering exact).
ENGINE=jit exec sh tests/t_conformance.sh
