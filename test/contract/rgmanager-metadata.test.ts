/**
 * rgmanager conformance, meta-data: run the installed-style shim exactly as rgmanager's
 * read_resource_agent_metadata() does (no OCF variables, stdin and stderr CLOSED, cwd /, output read
 * to EOF and parsed) and read the result the way resrules.c does (contract reference §1.1, §1.2, §5).
 */
import { statSync } from "node:fs";
import { basename, join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { metadataLikeRgmanager, withClosedStdinStderr } from "../support/rgmanager/invoke.js";
import { libdirSeam, pmsappMetadata, pmsappShim, TYPE_NAME } from "../support/rgmanager/pmsapp-agent.js";
import { expandTime, isPlainTime } from "../support/rgmanager/expand-time.js";
import { RGMANAGER_REFERENCE } from "../support/rgmanager/paths.js";
import { findAction, ruleFromMetadata, type ResourceRule } from "../support/rgmanager/resource-rules.js";
import { stockAgents } from "../support/rgmanager/cluster-schema.js";
import { childElements, firstAt, normalizeSpace, parseXml, stringValue } from "../support/rgmanager/xml.js";
import { validWithDtd, wellFormed } from "../support/rgmanager/xmllint.js";

/** The action names ra-api-1-modified.dtd allows (contract reference §2.3, §3.5). */
const DTD_ACTIONS = ["start", "stop", "recover", "status", "reconfig", "monitor", "reload", "meta-data", "validate-all", "verify-all", "migrate", "methods"];

describe("the test harness really runs agents the way rgmanager does", () => {
  it("closes fds 0 and 2 (not /dev/null) and passes an empty environment through unchanged", () => {
    expect(withClosedStdinStderr("/usr/bin/test", ["-e", "/proc/self/fd/0"]).exitCode).toBe(1);
    expect(withClosedStdinStderr("/usr/bin/test", ["-e", "/proc/self/fd/2"]).exitCode).toBe(1);
    expect(withClosedStdinStderr("/usr/bin/test", ["-e", "/proc/self/fd/1"]).exitCode).toBe(0);
    expect(withClosedStdinStderr("/usr/bin/env", []).stdout).toBe("");
    expect(withClosedStdinStderr("/bin/pwd", []).stdout.trim()).toBe("/");
  });
});

describe(`${TYPE_NAME} meta-data, run as rgmanager runs it`, () => {
  let output = "";
  let exitCode: number | null = null;
  let rule: ResourceRule;

  beforeAll(() => {
    const run = pmsappMetadata();
    output = run.stdout;
    exitCode = run.exitCode;
    const read = ruleFromMetadata(output);
    if (!read.ok) throw new Error(`rgmanager would not load ${pmsappShim()}: ${read.reasons.join("; ")}`);
    rule = read.rule;
  });

  it("is a file rgmanager loads: executable, and not named like a backup (~, .rpm*)", () => {
    const shim = pmsappShim();
    expect(statSync(shim).isFile()).toBe(true);
    expect(statSync(shim).mode & 0o111, "load_resource_rules() skips files without an execute bit").not.toBe(0);
    expect(basename(shim)).not.toMatch(/~$|\.rpm[^/]*$/);
  });

  it("exits 0 and starts with `<?xml` as its very first bytes", () => {
    expect(exitCode).toBe(0);
    expect(output.startsWith("<?xml")).toBe(true);
  });

  it("parses with libxml2 (xmlParseMemory would otherwise skip the agent silently)", () => {
    expect(wellFormed(output)).toMatchObject({ ok: true });
  });

  it("is valid against rgmanager's ra-api-1-modified.dtd", () => {
    const r = validWithDtd(output, join(RGMANAGER_REFERENCE, "ra-api-1-modified.dtd"));
    expect(r.messages).toBe("");
    expect(r.ok).toBe(true);
  });

  it("does not depend on the environment: OCF variables or garbage change nothing", () => {
    const noisy = metadataLikeRgmanager(pmsappShim(), {
      ...libdirSeam(),
      OCF_RESKEY_uuid: "garbage",
      OCF_RESKEY_targets: "$(reboot)",
      OCF_CHECK_LEVEL: "x",
      PATH: "/nonexistent",
      LANG: "xx_XX.UTF-8",
      NODE_OPTIONS: "--require=/nonexistent.js",
    });
    expect(noisy.stdout).toBe(output);
  });

  it(`declares the type ${TYPE_NAME}, unique among the stock types even case-insensitively`, () => {
    expect(rule.type).toBe(TYPE_NAME);
    const stockTypes = stockAgents().map((a) => a.source.toLowerCase());
    expect(stockTypes).not.toContain(rule.type.toLowerCase());
  });

  it("has exactly one primary parameter, name", () => {
    expect(rule.parameters.filter((p) => p.primary).map((p) => p.name)).toEqual(["name"]);
  });

  it("requires uuid and targets, and no parameter both inherits and is primary, unique or required", () => {
    expect(rule.parameters.filter((p) => p.required).map((p) => p.name).sort()).toEqual(["targets", "uuid"]);
    expect(rule.parameters.filter((p) => p.inherit !== undefined && (p.primary || p.unique || p.required))).toEqual([]);
  });

  it("declares the parameters of issue 2", () => {
    const names = rule.parameters.map((p) => p.name);
    for (const n of ["name", "md_device", "uuid", "targets", "login_timeout", "login_retries", "replacement_timeout", "degraded"]) expect(names).toContain(n);
  });

  it("declares start, stop, status, meta-data and validate-all (undeclared actions are silent no-ops)", () => {
    for (const n of ["start", "stop", "status", "meta-data", "validate-all"]) expect(findAction(rule, n), n).toBeDefined();
  });

  it("uses only action names the DTD knows", () => {
    expect(rule.actions.map((a) => a.name).filter((n) => !DTD_ACTIONS.includes(n))).toEqual([]);
  });

  it("declares status at depths 0, 10 and 20, each with a non-zero interval (else it is never scheduled)", () => {
    for (const depth of [0, 10, 20]) {
      const status = findAction(rule, "status", depth);
      expect(status, `status depth ${depth}`).toBeDefined();
      expect(status!.interval, `status depth ${depth} interval`).toBeGreaterThan(0);
      expect(status!.raw.interval, `status depth ${depth} interval as written`).toBeDefined();
    }
  });

  it("writes every timeout and interval in a form expand_time reads as meant, and gives start/stop/status real timeouts", () => {
    for (const a of rule.actions) {
      for (const [what, text] of Object.entries(a.raw)) {
        if (what === "depth") continue;
        expect(isPlainTime(text), `${a.name} depth ${a.depth} ${what}="${text}"`).toBe(true);
      }
    }
    for (const a of rule.actions.filter((x) => ["start", "stop", "status"].includes(x.name))) {
      expect(a.timeout, `${a.name} depth ${a.depth} timeout`).toBe(expandTime(a.raw.timeout));
      expect(a.timeout, `${a.name} depth ${a.depth} timeout`).toBeGreaterThan(0);
    }
  });

  it("gives every declared child type both a start and a stop level, or neither (else those children are never stopped or never started)", () => {
    const oneSided = rule.children.filter((c) => !c.forbid && (c.start === 0) !== (c.stop === 0));
    expect(oneSided).toEqual([]);
  });

  it('keeps every shortdesc free of ", &, < and > (ra2rng.xsl copies them unescaped into cluster.rng)', () => {
    const root = parseXml(output);
    const shortdescs = [firstAt(root, "shortdesc"), ...childElements(firstAt(root, "parameters")!, "parameter").map((p) => firstAt(p, "shortdesc"))];
    for (const s of shortdescs) {
      expect(s, "every parameter has a shortdesc").toBeDefined();
      const text = normalizeSpace(stringValue(s!));
      expect(text, "shortdesc is not empty").not.toBe("");
      expect(text, text).not.toMatch(/["&<>]/);
    }
  });
});
