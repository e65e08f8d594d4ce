/**
 * The failover bench's pieces that need no VM: the guide's swraid script taken from the real guide text
 * (and how it answers Pacemaker's lsb calls on a host without md), the node records and mdadm.conf the
 * guide leaves, the crmsh swap (crm replaced on PATH by a recorder of its stdin), the operator's re-add,
 * the deadline rule, and the report's medians, ratios and goal line.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyAutoassemblyBlock, BLOCK_BEGIN } from "../../../agents/target/mdadm-conf.js";
import { GUIDE_PATH, guideArrayLine, guideMdadmConf, guideNodeRecordsScript, guideReaddScript, guideSwraidScript, swapToSwraidScript } from "../../lab/lib/failover-bench-guide.js";
import { formatReport, ratio, summarize, type BenchRecord, type KillRow } from "../../lab/lib/failover-bench-report.js";
import { median } from "../../lab/lib/median.js";
import { failedStart, failedStartNode, resumedAckScript, STEP_COST_MS, stepFits, SWRAID_GROUP } from "../../lab/lib/failover-bench.js";

const UUID = "0a1b2c3d:4e5f6071:8293a4b5:c6d7e8f9";

function bashSyntax(script: string): { status: number | null; stderr: string } {
  const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  return { status: r.status, stderr: r.stderr };
}

/** A directory of stand-ins on PATH that record their argv and exit with `rc`. */
function recorders(names: readonly string[], rc: number): { dir: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "failover-bench-"));
  const log = join(dir, "calls.log");
  for (const n of names) {
    writeFileSync(join(dir, n), `#!/bin/bash\necho "${n} $*" >> ${log}\nexit ${rc}\n`);
    chmodSync(join(dir, n), 0o755);
  }
  return { dir, log };
}

describe.skipIf(!existsSync(GUIDE_PATH))("the guide's swraid script", () => {
  const script = guideSwraidScript();

  it("is the guide's text from #!/bin/bash to esac, with only EL6's iscsi service calls spelled out", () => {
    const guide = readFileSync(GUIDE_PATH, "utf8");
    expect(script.startsWith("#!/bin/bash\ncase \"$1\" in\n")).toBe(true);
    expect(script.endsWith("esac\n")).toBe(true);
    expect(script).not.toContain("service iscsi");
    const back = script.replace("iscsiadm -m node --loginall=automatic", "service iscsi start").replace("iscsiadm -m node --logoutall=all", "service iscsi stop");
    expect(guide).toContain(back.trimEnd());
    expect(bashSyntax(script)).toEqual({ status: 0, stderr: "" });
  });

  it("answers Pacemaker's lsb calls on a node where no array runs: status 1 (mapped to not running), stop 0 even when mdadm and iscsiadm fail", () => {
    if (existsSync("/proc/mdstat") && readFileSync("/proc/mdstat", "utf8").includes(": active")) return; // an array runs on this host
    const { dir, log } = recorders(["mdadm", "iscsiadm"], 1);
    const path = join(dir, "swraid");
    writeFileSync(path, script);
    chmodSync(path, 0o755);
    const env = { PATH: `${dir}:/usr/bin:/bin` };
    const status = spawnSync(path, ["status"], { env, encoding: "utf8" });
    expect(status.status).toBe(1);
    expect(status.stdout.trim()).toBe("Array /dev/md0 is not running");
    const stop = spawnSync(path, ["stop"], { env, encoding: "utf8" });
    expect(stop.status).toBe(0);
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["mdadm --stop /dev/md0", "iscsiadm -m node --logoutall=all"]);
    expect(spawnSync(path, ["restart"], { env, encoding: "utf8" }).status).toBe(2);
  });

  it("refuses a guide whose script moved or changed its service calls", () => {
    expect(() => guideSwraidScript("no script here")).toThrow(/not found/);
    const guide = readFileSync(GUIDE_PATH, "utf8");
    const at = guide.search(/Save it as\s+\/etc\/init\.d\/swraid:/);
    const twice = guide.slice(0, at) + guide.slice(at).replace("service iscsi stop", "service iscsi start");
    expect(() => guideSwraidScript(twice)).toThrow(/found 2 and 0/);
  });
});

describe("what the guide leaves on a node", () => {
  it("node records: every member with the guide's login_timeout 2 x 1 retry, EL6 defaults and node.startup automatic", () => {
    const s = guideNodeRecordsScript([1, 2]);
    for (const n of [1, 2]) {
      const rec = `iscsiadm -m node -T iqn.2026-11.lab.pmsapp:node${n}.disk -p 10.99.1.1${n}:3260`;
      expect(s).toContain(`${rec} -o new`);
      expect(s).toContain(`${rec} -o update -n 'node.startup' -v automatic`);
      expect(s).toContain(`${rec} -o update -n 'node.conn[0].timeo.login_timeout' -v 2`);
      expect(s).toContain(`${rec} -o update -n 'node.session.initial_login_retry_max' -v 1`);
      expect(s).toContain(`${rec} -o update -n 'node.session.timeo.replacement_timeout' -v 120`);
    }
    expect(bashSyntax(s).status).toBe(0);
  });

  it("mdadm.conf: the keeper's block, its disabled lines and the lab's AUTO -all go; one guide ARRAY line for /dev/md0; other arrays stay", () => {
    const stock = "HOMEHOST <system>\nMAILADDR root\nARRAY /dev/md/other metadata=1.2 UUID=11111111:22222222:33333333:44444444\n";
    const withGuideLine = stock + guideArrayLine(UUID) + "\n";
    const kept = applyAutoassemblyBlock(withGuideLine, "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "/dev/vdb", "ignore-uuid").text + "AUTO -all # lab\n";
    expect(kept).toContain(BLOCK_BEGIN);
    expect(kept).toContain("#pmsapp-target disabled: ARRAY /dev/md0");
    const conf = guideMdadmConf(kept, UUID);
    expect(conf).toBe(`${stock}ARRAY /dev/md0 metadata=1.2 UUID=${UUID}\n`);
    expect(guideMdadmConf(conf, UUID)).toBe(conf);
    expect(guideMdadmConf(conf, UUID.replace(/:/g, ""))).toBe(conf);
    expect(() => guideMdadmConf(conf, "not-a-uuid")).toThrow(/not an md UUID/);
  });

  it("the operator's re-add logs in, then re-adds (add only if md refuses), and is valid bash", () => {
    const s = guideReaddScript(1);
    expect(s).toContain("iscsiadm -m node -T iqn.2026-11.lab.pmsapp:node1.disk -p 10.99.1.11:3260 --login");
    expect(s.indexOf("--re-add")).toBeLessThan(s.indexOf("--add /dev"));
    expect(bashSyntax(s).status).toBe(0);
  });
});

describe("the swap to lsb:swraid", () => {
  it("one crm transaction: sharedraid out of the group and deleted, lsb:swraid in before sharedvol, committed; Filesystem on /dev/md0", () => {
    const { dir, log } = recorders(["crm_resource", "crm_verify"], 0);
    const input = join(dir, "crm.stdin");
    writeFileSync(join(dir, "crm"), `#!/bin/bash\necho "crm $*" >> ${log}\ncat > ${input}\n`);
    chmodSync(join(dir, "crm"), 0o755);
    const r = spawnSync("bash", ["-c", swapToSwraidScript()], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(readFileSync(input, "utf8").trim().split("\n")).toEqual([
      "modgroup storage remove sharedraid",
      "delete sharedraid",
      "primitive swraid lsb:swraid op monitor interval=10s",
      "modgroup storage add swraid before sharedvol",
      "commit",
    ]);
    expect(readFileSync(log, "utf8").trim().split("\n")).toEqual(["crm configure", "crm_resource --resource sharedvol --set-parameter device --parameter-value /dev/md0", "crm_verify -L"]);
    expect(SWRAID_GROUP).toEqual(["swraid", "sharedvol", "sharednfsd", "sharednfs", "sharedip", "sharednotify"]);
  });
});

describe("crm_mon's failed actions", () => {
  it("a failed start names its node (lines as crm_mon printed them in the lab's collected logs of 2026-11-25)", () => {
    const lines = crmMonFailed.trim().split("\n");
    expect(lines.map(failedStartNode)).toEqual([undefined, "node2", "node3"]);
  });

  it("a failed start names its resource, which the bench cleans up", () => {
    const lines = crmMonFailed.trim().split("\n");
    expect(lines.map((l) => failedStart(l)?.rsc)).toEqual([undefined, "sharedraid", "sharedraid"]);
  });
});

// Verbatim from the lab's artifacts 2026-11-25T00-44-30-076Z-_c_cut_the_active_node_s_heartbeat…/node2.state.txt (crm_mon -1).
const crmMonFailed = `Failed Resource Actions:
  * sharedraid start on node2 returned 'error' (not starting 317dae9e:29d06704:627d8916:a555d850: the cluster's ledger (written by node1 at 2026-11-25T00:36:43.004Z, events 55)) at Wed Nov 25 00:37:55 2026 after 38.572s
  * sharedraid start on node3 returned 'error' (not starting 317dae9e:29d06704:627d8916:a555d850: the cluster's ledger (written by node1 at 2026-11-25T00:36:43.004Z, events 55)) at Wed Nov 25 00:38:54 2026 after 12.134s
`;

describe("when the client's writes resumed", () => {
  it("is the first acknowledgement after the kill that ends a pause of more than 3 s, not one answered just before the kill", () => {
    const dir = mkdtempSync(join(tmpdir(), "failover-bench-acks-"));
    const log = join(dir, "acks.log");
    const kill = 1_764_040_000_000;
    // The writer's own log format (nfs-writer-records.ts): ack <record> <client ms> <write+fsync ms>.
    const at = [kill - 200, kill - 90, kill + 30, kill + 104_000, kill + 104_090];
    writeFileSync(log, at.map((t, i) => `ack ${i + 1} ${t} 12`).join("\n") + "\n");
    const run = (from: number) => spawnSync("bash", ["-c", resumedAckScript(log, from)], { encoding: "utf8" }).stdout.trim();
    expect(run(kill)).toBe(`ack 4 ${kill + 104_000} 12`);
    expect(run(kill + 104_001)).toBe("");
  });
});

describe("the deadline rule", () => {
  const c = STEP_COST_MS;
  it("begins a pmsapp kill only while one swraid kill still fits after it; no deadline, no limit", () => {
    const now = 1_000_000;
    const pmsappNeed = c.kill + c.back + c.swap + c.kill + c.end;
    expect(stepFits("pmsapp-kill", now, now + pmsappNeed)).toBe(true);
    expect(stepFits("pmsapp-kill", now, now + pmsappNeed - 1)).toBe(false);
    // The second pmsapp kill needs room for two swraid kills (with the return between them).
    expect(stepFits("pmsapp-kill", now, now + pmsappNeed, 2)).toBe(false);
    expect(stepFits("pmsapp-kill", now, now + pmsappNeed + c.kill + c.back, 2)).toBe(true);
    expect(stepFits("swraid-kill", now, now + c.kill + c.end)).toBe(true);
    expect(stepFits("back-last", now, now + c.back)).toBe(false);
    expect(stepFits("start", now, undefined)).toBe(true);
  });
});

describe("the report", () => {
  const row = (phase: "pmsapp" | "swraid", run: number, groupS: number | undefined, ackS: number | undefined): KillRow => ({
    phase,
    run,
    victim: run % 2 ? "node1" : "node2",
    survivor: run % 2 ? "node2" : "node1",
    ...(groupS !== undefined ? { groupMs: groupS * 1000 } : {}),
    ...(ackS !== undefined ? { firstAckMs: ackS * 1000 } : {}),
    fenced: "off 9.0 s after the kill",
  });
  const record = (rows: KillRow[]): BenchRecord => ({ bench: "failover", startedAt: "t", runs: 2, rows, data: [], notes: [] });

  it("median of an even count is the mean of the middle two; missing figures are left out", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([undefined, 5])).toBe(5);
    expect(median([])).toBeUndefined();
    expect(ratio(10, 4)).toBe(2.5);
    expect(ratio(10, undefined)).toBeUndefined();
  });

  it("ratio of the medians, the 12 s goal judged on every pmsapp kill, not-slower on the medians", () => {
    const s = summarize(record([row("pmsapp", 1, 100, 110), row("pmsapp", 2, 120, 130), row("swraid", 1, 150, 160), row("swraid", 2, 170, 180)]));
    expect(s.groupMedian).toEqual({ pmsapp: 110_000, swraid: 160_000 });
    expect(s.firstAckRatio).toBeCloseTo(170 / 120, 6);
    expect(s.goalMet).toBe(false);
    expect(s.pmsappNotSlower).toBe(true);
    expect(summarize(record([row("pmsapp", 1, 8, 11), row("pmsapp", 2, 9, undefined)])).goalMet).toBe(false);
    expect(summarize(record([row("pmsapp", 1, 8, 11)])).goalMet).toBe(true);
    expect(summarize(record([])).goalMet).toBeUndefined();
  });

  it("a side not run prints as (not run), and an early stop says why", () => {
    const r = record([row("pmsapp", 1, 100, 110)]);
    r.error = "the group did not start";
    const text = formatReport(r);
    const run1 = text.split("\n").find((l) => l.trimStart().startsWith("1 ")) ?? "";
    expect(run1.split(/\s+/).filter(Boolean)).toEqual(["1", "node1->node2", "100.0", "110.0", "-", "(not", "run)", "-", "-", "-"]);
    expect(text).toContain("kill -> first ack -");
    expect(text).toContain("BENCH STOPPED EARLY: the group did not start");
    expect(text).toContain("acknowledged data after the swraid phase: not checked");
  });
});
