/**
 * rgmanager conformance, actions: the agent run with exactly the environment restree.c builds
 * (OCF_RESKEY_* from cluster.conf plus the meta-data DEFAULTS rgmanager applies, OCF_RA_VERSION_*,
 * OCF_ROOT, OCF_RESOURCE_INSTANCE/TYPE, OCF_CHECK_LEVEL, RGMANAGER_meta_refcnt/timeout; no PATH), cwd /,
 * on this host, which runs no md array and no iSCSI session: a node where nothing runs.
 * The only additions are the agent's test seams (PMSAPP_LIBDIR, PMSAPP_JOURNAL), so the journal goes to a
 * scratch file instead of /var/lib/pmsapp.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceInstance } from "../support/rgmanager/cluster-conf.js";
import { actionLikeRgmanager } from "../support/rgmanager/invoke.js";
import { libdirSeam, pmsappMetadata, pmsappShim, SEAM_NAMES, TYPE_NAME } from "../support/rgmanager/pmsapp-agent.js";
import { REPO_ROOT } from "../support/rgmanager/paths.js";
import { ruleFromMetadata, type ResourceRule } from "../support/rgmanager/resource-rules.js";
import { actionEnvironment, type ResourceInstance } from "../support/rgmanager/rgmanager-env.js";

const RGMANAGER_VARIABLES = [
  "OCF_RA_VERSION_MAJOR",
  "OCF_RA_VERSION_MINOR",
  "OCF_ROOT",
  "OCF_RESOURCE_INSTANCE",
  "OCF_RESOURCE_TYPE",
  "OCF_CHECK_LEVEL",
  "OCF_RESKEY_RGMANAGER_meta_refcnt",
  "OCF_RESKEY_RGMANAGER_meta_timeout",
];

const conf = readFileSync(join(REPO_ROOT, "test", "contract", "fixtures", "cluster-conf", "pmsapp-2node.conf"), "utf8");
const HOST_JOURNAL_DIR = "/var/lib/pmsapp";

describe(`${TYPE_NAME} actions under rgmanager's exact environment, on a node where nothing runs`, () => {
  let rule: ResourceRule;
  let instance: ResourceInstance;
  let scratch = "";
  let journal = "";
  const hostJournalExisted = existsSync(HOST_JOURNAL_DIR);

  /** rgmanager's environment for this action and depth, plus the test seams; asserts nothing else is in it. */
  function envFor(action: string, depth = 0): Record<string, string> {
    const built = actionEnvironment(rule, instance, action, depth);
    if (!built.run) throw new Error(built.reason);
    return { ...built.env, ...libdirSeam(), PMSAPP_JOURNAL: journal };
  }

  beforeAll(() => {
    pmsappShim();
    const read = ruleFromMetadata(pmsappMetadata().stdout);
    if (!read.ok) throw new Error(`rgmanager would not load the agent: ${read.reasons.join("; ")}`);
    rule = read.rule;
    instance = resourceInstance(conf, TYPE_NAME);
    scratch = mkdtempSync(join(tmpdir(), "pmsapp-rgm-actions-"));
    journal = join(scratch, "agents.jsonl");
  });

  afterAll(() => {
    if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
  });

  it("builds the environment rgmanager would: configured values, meta-data defaults, instance name, no PATH", () => {
    const env = envFor("stop");
    const configured = Object.keys(instance.attributes).map((k) => `OCF_RESKEY_${k}`);
    const defaulted = rule.parameters.filter((p) => instance.attributes[p.name] === undefined && p.defaultValue !== undefined).map((p) => `OCF_RESKEY_${p.name}`);
    expect(defaulted.length, "the agent's meta-data declares defaults rgmanager will export").toBeGreaterThan(0);
    expect(Object.keys(env).sort()).toEqual([...configured, ...defaulted, ...RGMANAGER_VARIABLES, ...SEAM_NAMES].sort());
    expect(env).toMatchObject({
      OCF_RESKEY_name: "sharedraid",
      OCF_RESKEY_uuid: "1e618de3:71fb3487:b1b62896:ad659dc6",
      OCF_RESOURCE_INSTANCE: `${TYPE_NAME}:sharedraid`,
      OCF_RESOURCE_TYPE: TYPE_NAME,
      OCF_ROOT: "/usr/share/cluster",
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_CHECK_LEVEL: "0",
    });
    for (const p of rule.parameters.filter((x) => x.defaultValue !== undefined && instance.attributes[x.name] === undefined)) {
      expect(env[`OCF_RESKEY_${p.name}`], `default of ${p.name} as read from the meta-data`).toBe(p.defaultValue);
    }
    expect(Number(env.OCF_RESKEY_RGMANAGER_meta_timeout)).toBeGreaterThan(0);
    expect(env.PATH).toBeUndefined();
  });

  it("stop exits 0 and says nothing is running (stop-before-start, emergency stop, stop after a failed start)", () => {
    const r = actionLikeRgmanager(pmsappShim(), "stop", envFor("stop"));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout, "an agent writes nothing on stdout").toBe("");
    expect(r.stderr).toMatch(/not running|nothing (is )?running|already stopped|not active/i);
  });

  it("a second stop is just as quiet (idempotent)", () => {
    const r = actionLikeRgmanager(pmsappShim(), "stop", envFor("stop"));
    expect(r.exitCode, r.stderr).toBe(0);
  });

  it("recorded the stops in the journal given by the seam, never in /var/lib/pmsapp", () => {
    const records = readFileSync(journal, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { action?: string; rc?: number; kind?: string });
    const stopEnds = records.filter((r) => r.action === "stop" && r.kind === "action-end");
    expect(stopEnds.map((r) => r.rc)).toEqual([0, 0]);
    expect(existsSync(HOST_JOURNAL_DIR)).toBe(hostJournalExisted);
  });

  it.each([0, 10, 20])("status at depth %i fails (non-zero) where the array does not run: rgmanager would recover", (depth) => {
    const env = envFor("status", depth);
    expect(env.OCF_CHECK_LEVEL).toBe(String(depth));
    const r = actionLikeRgmanager(pmsappShim(), "status", env);
    expect(r.stdout).toBe("");
    expect(r.exitCode, r.stderr).not.toBe(0);
    expect(r.exitCode, "killed by a signal is not an answer").not.toBeNull();
    expect(r.exitCode, "3 would mean the declared depth is not implemented").not.toBe(3);
  });

  it("validate-all accepts the configuration (rgmanager never calls it, ccs tools and operators do)", () => {
    const r = actionLikeRgmanager(pmsappShim(), "validate-all", envFor("validate-all"));
    expect(r.stdout).toBe("");
    // 0, or 5 (OCF_ERR_INSTALLED) on this host, which has no mdadm and no iscsiadm; never 2, 3 or 6.
    expect([0, 5], r.stderr).toContain(r.exitCode);
  });

  describe("stop after a failed start (rgmanager stops the whole tree after any failed start)", () => {
    // Loopback portals: whatever start tries can never leave this machine.
    const loopback = "iqn.2012-03.org.pmsapp:pmsapp1.disk@127.0.0.1:9 iqn.2012-03.org.pmsapp:pmsapp2.disk@127.0.0.2:9";
    const onLoopback = (action: string): Record<string, string> => {
      const local: ResourceInstance = { ...instance, attributes: { ...instance.attributes, targets: loopback } };
      const built = actionEnvironment(rule, local, action);
      if (!built.run) throw new Error(built.reason);
      return { ...built.env, ...libdirSeam(), PMSAPP_JOURNAL: journal };
    };

    it("this host has no iscsiadm and no mdadm, so start cannot change anything here", () => {
      const found = ["iscsiadm", "mdadm"].flatMap((p) => ["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map((d) => join(d, p))).filter((f) => existsSync(f));
      expect(found, "these host-only tests run the real start; on a machine with an iSCSI initiator or mdadm use the lab").toEqual([]);
    });

    it("start fails with a reason and without a signal", () => {
      const r = actionLikeRgmanager(pmsappShim(), "start", onLoopback("start"));
      expect(r.stdout).toBe("");
      expect(r.exitCode, r.stderr).not.toBe(0);
      expect(r.exitCode).not.toBeNull();
      expect(r.stderr).toMatch(/iscsiadm/);
    });

    it("the stop that follows exits 0", () => {
      const r = actionLikeRgmanager(pmsappShim(), "stop", onLoopback("stop"));
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toBe("");
    });
  });

  it("an unknown action exits non-zero, writes nothing on stdout, and says why", () => {
    const r = actionLikeRgmanager(pmsappShim(), "frobnicate", envFor("stop"));
    expect(r.exitCode).not.toBe(0);
    expect(r.exitCode).not.toBeNull();
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/frobnicate|usage/i);
  });

  it("ignores an extra argument after the action, as OCF requires (rgmanager adds one only for migrate)", () => {
    const r = actionLikeRgmanager(pmsappShim(), "stop", envFor("stop"), ["pmsapp2"]);
    expect(r.exitCode, r.stderr).toBe(0);
  });
});
