"""The load generator of the API load test: two ``wrk`` processes with generated Lua scripts.

- charges: ``POST /v1/merchant/charges`` with a random member, a random merchant token, a
  price of 1-20 €, the member's consent code, and a fresh ``purchase_id`` and
  ``Idempotency-Key`` per request;
- reads: ``GET /v1/members/{household}/balance`` with that member's own token.

Each script counts responses by status (409s by problem type, read from the body) in every
wrk thread and prints one ``RESULT {json}`` line at the end with the request count, the
duration, the latency percentiles (microseconds) and the counts. wrk is C: it costs far
less CPU per request than a Python generator would, which matters on a 2-core machine
where the generator shares the cores with the server and the database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA_COMMON = r"""
local threads = {}
local next_id = 0
function setup(thread)
  next_id = next_id + 1
  thread:set("tid", next_id)
  table.insert(threads, thread)
end
counts = {}
local function count(status, body)
  local kind = tostring(status)
  if status >= 400 then
    local t = string.match(body or "", '"type":"urn:caisse:problem:([%w%-]+)"')
    kind = kind .. ":" .. (t or "?")
  end
  counts[kind] = (counts[kind] or 0) + 1
end
function response(status, headers, body)
  count(status, body)
end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for k, v in pairs(c) do total[k] = (total[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(total) do table.insert(parts, string.format('"%s":%d', k, v)) end
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"socket_errors":%d,"timeouts":%d,"counts":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, table.concat(parts, ",")))
end
"""

LUA_CHARGES = r"""
local counter = 0
function init(args)
  math.randomseed((tid or 1) * 7919 + os.time())
end
function request()
  counter = counter + 1
  local i = math.random(#households)
  local m = math.random(#merchants)
  local id = string.format("%s_%d_%d", run_tag, tid or 0, counter)
  local body = string.format(
    '{"purchase_id":"%s","household_id":"%s","category":"food","amount_cents":%d,' ..
    '"on":"%s","consent_code":"%s"}',
    id, households[i], math.random(100, 2000), on_day, consent_code)
  local headers = {}
  headers["Authorization"] = "Bearer " .. merchants[m]
  headers["Content-Type"] = "application/json"
  headers["Idempotency-Key"] = "key-" .. id
  return wrk.format("POST", "/v1/merchant/charges", headers, body)
end
"""

LUA_READS = r"""
function init(args)
  math.randomseed((tid or 1) * 104729 + os.time())
end
function request()
  local i = math.random(#households)
  local headers = {}
  headers["Authorization"] = "Bearer " .. members[i]
  return wrk.format("GET", "/v1/members/" .. households[i] .. "/balance", headers)
end
"""


def ensure_wrk(install: bool) -> bool:
    """Whether ``wrk`` is on PATH; with ``install``, install Debian's package when it is not
    (``apt-get install -y wrk``: needs root and the Debian archive; nothing else is fetched)."""
    if shutil.which("wrk"):
        return True
    if not install or not shutil.which("apt-get"):
        return False
    print("wrk is not installed: apt-get install -y wrk", file=sys.stderr)
    done = subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if done.returncode:
        print(done.stderr[-1000:], file=sys.stderr)
    return shutil.which("wrk") is not None


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    socket_errors: int
    timeouts: int
    counts: dict[str, int]
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


NOTHING = WrkResult(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, {}, 0.0)


def lua_list(values: tuple[str, ...] | list[str]) -> str:
    return "{" + ",".join(json.dumps(v) for v in values) + "}"


def charges_script(
    path: Path,
    households: tuple[str, ...],
    merchant_secrets: tuple[str, ...],
    run_tag: str,
    on_day: str,
    consent_code: str,
) -> Path:
    head = (
        f"households = {lua_list(households)}\nmerchants = {lua_list(merchant_secrets)}\n"
        f"run_tag = {json.dumps(run_tag)}\non_day = {json.dumps(on_day)}\n"
        f"consent_code = {json.dumps(consent_code)}\n"
    )
    path.write_text(head + LUA_COMMON + LUA_CHARGES, encoding="utf-8")
    return path


def reads_script(
    path: Path,
    households: tuple[str, ...],
    member_secrets: tuple[str, ...],
    delay_ms: int | None = None,
) -> Path:
    """Balance reads; with ``delay_ms`` each connection waits that long before each read
    (wrk's ``delay()``), so reads run at a bounded pace instead of as fast as answered."""
    head = f"households = {lua_list(households)}\nmembers = {lua_list(member_secrets)}\n"
    pace = "" if delay_ms is None else f"function delay()\n  return {int(delay_ms)}\nend\n"
    path.write_text(head + LUA_COMMON + LUA_READS + pace, encoding="utf-8")
    return path


def start(script: Path, url: str, connections: int, threads: int, seconds: int) -> Any:
    """Start wrk (its own process; the caller waits with ``finish``)."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: Any) -> WrkResult:
    """Wait for wrk, measure its CPU time (``wait4``) and parse its RESULT line."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    out = process.stdout.read()
    err = process.stderr.read()
    line = next((x for x in out.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result (exit {process.returncode}): {out}\n{err}")
    data = json.loads(line.removeprefix("RESULT "))
    return WrkResult(
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        socket_errors=int(data["socket_errors"]),
        timeouts=int(data["timeouts"]),
        counts={str(k): int(v) for k, v in data["counts"].items()},
        cpu_seconds=usage.ru_utime + usage.ru_stime,
    )
