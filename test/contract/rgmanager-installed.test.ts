/**
 * rgmanager conformance at the real install paths, without any test seam: /usr/share/cluster/pmsapp-raid.sh
 * and /usr/lib/pmsapp/raid*.cjs laid over the host in a private mount namespace (see
 * test/support/rgmanager/installed.ts). meta-data runs with a truly EMPTY environment; stop runs with
 * exactly rgmanager's variables and nothing else, and its journal lands in a scratch overlay of /var.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceInstance } from "../support/rgmanager/cluster-conf.js";
import { installAgent, installedRefusal, INSTALLED_JOURNAL, INSTALLED_SHIM, type InstalledAgent } from "../support/rgmanager/installed.js";
import { REPO_ROOT } from "../support/rgmanager/paths.js";
import { pmsappMetadata, pmsappShim, TYPE_NAME } from "../support/rgmanager/pmsapp-agent.js";
import { ruleFromMetadata, type ResourceRule } from "../support/rgmanager/resource-rules.js";
import { actionEnvironment } from "../support/rgmanager/rgmanager-env.js";

pmsappShim(); // names the missing shim or bundle instead of skipping
const refusal = installedRefusal();
const conf = readFileSync(join(REPO_ROOT, "test", "contract", "fixtures", "cluster-conf", "pmsapp-2node.conf"), "utf8");

describe(`${TYPE_NAME} at ${INSTALLED_SHIM}, no test seam${refusal ? ` (skipped: ${refusal})` : ""}`, () => {
  let agent: InstalledAgent;
  let rule: ResourceRule;
  const hostJournalExisted = existsSync(INSTALLED_JOURNAL);

  beforeAll(() => {
    if (refusal !== undefined) return;
    agent = installAgent();
    const read = ruleFromMetadata(pmsappMetadata().stdout);
    if (!read.ok) throw new Error(read.reasons.join("; "));
    rule = read.rule;
  });
  afterAll(() => agent?.remove());

  const rgmanagerEnv = (action: string, depth = 0): Record<string, string> => {
    const built = actionEnvironment(rule, resourceInstance(conf, TYPE_NAME), action, depth);
    if (!built.run) throw new Error(built.reason);
    return { ...built.env };
  };

  it.skipIf(refusal !== undefined)("meta-data with an empty environment and fds 0 and 2 closed prints the same document as through the seam", () => {
    const r = agent.run(["meta-data"], {}, { closeStdinStderr: true });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith("<?xml")).toBe(true);
    expect(r.stdout).toBe(pmsappMetadata().stdout);
  });

  it.skipIf(refusal !== undefined)("stop with exactly rgmanager's variables exits 0 and journals to the default path", () => {
    const r = agent.run(["stop"], rgmanagerEnv("stop"));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    const ends = agent
      .journal()
      .trim()
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as { action?: string; kind?: string; rc?: number; instance?: string });
    expect(ends.filter((e) => e.kind === "action-end")).toMatchObject([{ action: "stop", rc: 0, instance: `${TYPE_NAME}:sharedraid` }]);
    expect(existsSync(INSTALLED_JOURNAL), "the host's own /var is untouched").toBe(hostJournalExisted);
  });

  it.skipIf(refusal !== undefined)("status at depth 0 with exactly rgmanager's variables fails where the array does not run", () => {
    const r = agent.run(["status"], rgmanagerEnv("status", 0));
    expect(r.exitCode, r.stderr).not.toBe(0);
    expect(r.exitCode).not.toBeNull();
    expect(r.stdout).toBe("");
  });
});
