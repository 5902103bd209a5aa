"""The build benchmark (issue 12): what bundling costs.

    tests/bench/run --build [--runs N]

1. A warm no-op deploy of the TypeScript chat app (fixtures/chat, bundled
   per handler with esbuild, the build cache warm) against the same app
   unbundled (the handlers compiled to .mjs once, shipped with
   `bundle: false` and per-function include lists, as the chat app was
   before bundling), on the emulator at 0 ms and at 50 ms per request.
2. `wsdeploy package` of a generated app of 5 and of 50 TypeScript
   functions (each imports a shared module): cold (no cache) and warm.

Writes its section of docs/benchmarks.md between the markers
`<!-- build-benchmark -->` and `<!-- /build-benchmark -->` (bench.py keeps
that section when it rewrites the rest). Everything talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import bench
from bench import ROOT, Emulator, log, run_process, tool_env

START = "<!-- build-benchmark -->"
END = "<!-- /build-benchmark -->"
REPORT = ROOT / "docs" / "benchmarks.md"
ESBUILD = ROOT / "node_modules" / "esbuild" / "bin" / "esbuild"


def esbuild_binary() -> Path:
    native = ROOT / "node_modules" / "@esbuild"
    for candidate in sorted(native.glob("*/bin/esbuild")):
        return candidate
    return ESBUILD


def unbundled_chat(dest: Path) -> Path:
    """fixtures/chat with each handler compiled to .mjs (not bundled) and
    shipped with `bundle: false` and include lists."""
    shutil.copytree(ROOT / "fixtures" / "chat", dest, ignore=shutil.ignore_patterns(".wsdeploy"))
    sources = sorted((dest / "src").rglob("*.ts"))
    subprocess.run(
        [
            str(esbuild_binary()),
            *[str(s.relative_to(dest)) for s in sources],
            "--outdir=src",
            "--outbase=src",
            "--format=esm",
            "--platform=node",
            "--target=node20",
            "--out-extension:.js=.mjs",
            "--log-level=error",
        ],
        cwd=dest,
        check=True,
    )
    for s in sources:
        s.unlink()
    for m in (dest / "src").rglob("*.mjs"):
        # The imports name the TypeScript modules without an extension.
        m.write_text(m.read_text().replace('from "./lib/chat"', 'from "./lib/chat.mjs"'))
    config = dest / "wsdeploy.yml"
    text = config.read_text()
    text = text.replace(
        "    environment:\n      CONNECTIONS_TABLE",
        '    build: { bundle: false }\n    include: ["src/lib/**"]\n    environment:\n      CONNECTIONS_TABLE',
        1,
    )
    for handler in ("connect", "disconnect", "default", "sendMessage"):
        text = text.replace(
            f"      handler: src/{handler}.handler\n",
            f"      handler: src/{handler}.handler\n      include: [src/{handler}.mjs, \"src/lib/**\"]\n",
        )
    text = text.replace(
        "    handler: src/authorizer.handler\n",
        "    handler: src/authorizer.handler\n    include: [src/authorizer.mjs]\n",
    )
    config.write_text(text)
    return config


def bundled_chat(dest: Path) -> Path:
    shutil.copytree(ROOT / "fixtures" / "chat", dest, ignore=shutil.ignore_patterns(".wsdeploy"))
    return dest / "wsdeploy.yml"


def noop_deploys(binary: Path, scratch: Path, runs: int, latency: int) -> dict[str, Any]:
    emulator = Emulator(latency, "none", "25")
    try:
        home = scratch / "home"
        home.mkdir(exist_ok=True)
        env = tool_env(emulator.url, home)
        env["ESBUILD_BINARY_PATH"] = str(esbuild_binary())
        results: dict[str, Any] = {}
        for name, make in (("bundled", bundled_chat), ("unbundled", unbundled_chat)):
            app = scratch / f"{name}-{latency}"
            config = make(app)
            argv = [str(binary), "deploy", "-c", str(config), "--stage", f"b{latency}{name[0]}"]
            first = run_process(argv, app, env, scratch / "log.txt")
            if first.exit_code != 0:
                raise SystemExit(f"the first deploy of the {name} chat failed: see {scratch}/log.txt")
            walls, cpus = [], []
            for _ in range(runs):
                emulator.clear_calls()
                m = run_process(argv, app, env, scratch / "log.txt")
                writes = [c for c in emulator.calls() if c["mutating"]]
                if m.exit_code != 0 or writes:
                    raise SystemExit(f"a no-op deploy of the {name} chat wrote or failed: {writes}")
                walls.append(m.wall_s)
                cpus.append(m.cpu_s)
            results[name] = {"wall_s": walls, "cpu_s": cpus}
            log(
                f"{latency} ms no-op deploy, {name}: median {statistics.median(walls) * 1000:.0f} ms "
                f"(CPU {statistics.median(cpus) * 1000:.0f} ms)"
            )
        return results
    finally:
        emulator.stop()


def generated_app(dest: Path, functions: int) -> Path:
    """A TypeScript app of `functions` functions, each importing a shared
    module and a small helper of its own."""
    src = dest / "src"
    (src / "lib").mkdir(parents=True)
    (src / "lib" / "shared.ts").write_text(
        "export type Reply = { statusCode: number; body: string };\n"
        "export const reply = (body: unknown): Reply => ({ statusCode: 200, body: JSON.stringify(body) });\n"
        "export function words(text: string): string[] {\n"
        "  return text.split(/\\s+/).filter((w) => w.length > 0);\n}\n"
    )
    routes = []
    for i in range(functions):
        (src / f"f{i}.ts").write_text(
            'import { reply, words } from "./lib/shared";\n\n'
            f"const ID: number = {i};\n\n"
            "export const handler = async (event: { body?: string }) =>\n"
            f"  reply({{ id: ID, words: words(event.body ?? \"\").length + {i} }});\n"
        )
        routes.append(f"  r{i}: src/f{i}.handler")
    (dest / "wsdeploy.yml").write_text(
        "app: buildbench\nregion: us-east-1\ndefaults:\n  function:\n    runtime: nodejs22.x\n"
        "routes:\n" + "\n".join(routes) + "\n"
    )
    return dest / "wsdeploy.yml"


def package_builds(binary: Path, scratch: Path, sizes: list[int], runs: int) -> dict[str, Any]:
    env = {"PATH": bench.os.environ.get("PATH", "/usr/bin:/bin"), "ESBUILD_BINARY_PATH": str(esbuild_binary())}
    results: dict[str, Any] = {}
    for n in sizes:
        app = scratch / f"gen-{n}"
        config = generated_app(app, n)
        argv = [str(binary), "package", "-c", str(config), "--out", str(scratch / f"out-{n}")]
        cold, warm = [], []
        for _ in range(runs):
            shutil.rmtree(app / ".wsdeploy", ignore_errors=True)
            m = run_process(argv, app, env, scratch / "log.txt")
            if m.exit_code != 0:
                raise SystemExit(f"package of {n} functions failed: see {scratch}/log.txt")
            cold.append(m.wall_s)
            m = run_process(argv, app, env, scratch / "log.txt")
            warm.append(m.wall_s)
        results[str(n)] = {"cold_s": cold, "warm_s": warm}
        log(
            f"package {n} functions: cold median {statistics.median(cold):.2f} s, "
            f"warm median {statistics.median(warm) * 1000:.0f} ms"
        )
    return results


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def section(machine: dict[str, Any], noop: dict[int, Any], builds: dict[str, Any], runs: int) -> str:
    lines = [
        START,
        "## Building packages (issue 12)",
        "",
        f"Measured with `tests/bench/run --build` ({runs} runs each, medians) on "
        f"{machine.get('cpu', 'this machine')}, {machine.get('cpus', '?')} CPUs, at commit "
        f"{machine.get('commit', '?')}; `tests/bench/build.py` says how.",
        "",
        "**Warm no-op deploy of the chat app**, bundled (TypeScript, one esbuild bundle per "
        "handler, the build cache warm) against the same handlers compiled to `.mjs` once and "
        "shipped unbundled (`bundle: false`, per-function include lists):",
        "",
        "| emulator latency | bundled | unbundled | difference | target |",
        "|---|---|---|---|---|",
    ]
    for latency, r in sorted(noop.items()):
        b = statistics.median(r["bundled"]["wall_s"])
        u = statistics.median(r["unbundled"]["wall_s"])
        diff = (b - u) * 1000
        lines.append(
            f"| {latency} ms | {b * 1000:.0f} ms (CPU {ms(r['bundled']['cpu_s'])}) | "
            f"{u * 1000:.0f} ms (CPU {ms(r['unbundled']['cpu_s'])}) | {diff:+.0f} ms | "
            f"at most +30 ms: {'met' if diff <= 30 else 'not met'} |"
        )
    lines += [
        "",
        "**`wsdeploy package` of generated TypeScript apps** (each function imports a shared "
        "module): cold is with no `.wsdeploy/build/` cache, warm is the same command again.",
        "",
        "| functions | cold | warm | target |",
        "|---|---|---|---|",
    ]
    for n, r in builds.items():
        cold = statistics.median(r["cold_s"])
        target = (
            f"cold under 5 s: {'met' if cold < 5 else 'not met'}" if n == "50" else ""
        )
        lines.append(f"| {n} | {cold:.2f} s | {ms(r['warm_s'])} | {target} |")
    lines += [
        "",
        "The same inputs give byte-identical zips: tests/build.rs checks it across two "
        "directories, after a touch, and with the cache removed.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    report = REPORT.read_text() if REPORT.exists() else ""
    if START in report and END in report:
        before = report.split(START)[0]
        after = report.split(END, 1)[1]
        report = before + text.rstrip("\n") + after
    else:
        report = report.rstrip("\n") + "\n\n" + text
    REPORT.write_text(report)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tests/bench/run --build", description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-report", action="store_true", help="print, do not write docs/benchmarks.md")
    args = parser.parse_args(argv)
    if not bench.WSDEPLOY.exists():
        print(f"missing {bench.WSDEPLOY}: run tests/bench/run --build", file=sys.stderr)
        return 2
    bench.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wsdeploy-build-bench-") as tmp:
        scratch = Path(tmp)
        binary = scratch / "wsdeploy"
        shutil.copy2(bench.WSDEPLOY, binary)
        try:
            noop = {latency: noop_deploys(binary, scratch, args.runs, latency) for latency in (0, 50)}
            builds = package_builds(binary, scratch, [5, 50], max(3, args.runs // 2))
        finally:
            bench.stop_all_emulators()
        machine = bench.machine()
    results = {"machine": machine, "noop": noop, "builds": builds}
    (bench.RESULTS_DIR / "build-results.json").write_text(json.dumps(results, indent=2))
    text = section(machine, noop, builds, args.runs)
    if args.no_report:
        print(text)
    else:
        write_section(text)
        log(f"wrote the build section of {REPORT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
