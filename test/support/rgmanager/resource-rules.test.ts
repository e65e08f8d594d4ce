import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RGMANAGER_REFERENCE } from "./paths.js";
import { atoi, findAction, primaryParameter, ruleFromMetadata, type ResourceRule } from "./resource-rules.js";

const stock = (name: string): string => readFileSync(join(RGMANAGER_REFERENCE, "agents-metadata", `${name}.xml`), "utf8");

function ruleOf(text: string): ResourceRule {
  const r = ruleFromMetadata(text);
  if (!r.ok) throw new Error(r.reasons.join("; "));
  return r.rule;
}

const agent = (params: string, actions = '<action name="start" timeout="5"/>', name = "t"): string =>
  `<?xml version="1.0"?><resource-agent name="${name}"><version>1</version><longdesc/><shortdesc/><parameters>${params}</parameters><actions>${actions}</actions></resource-agent>`;
const param = (attrs: string, content = '<content type="string"/>'): string => `<parameter ${attrs}><longdesc/><shortdesc/>${content}</parameter>`;

describe("atoi", () => {
  it("behaves like C atoi", () => {
    expect(atoi("12abc")).toBe(12);
    expect(atoi("  -3")).toBe(-3);
    expect(atoi("yes")).toBe(0);
    expect(atoi("")).toBe(0);
    expect(atoi("1.9")).toBe(1);
  });
});

describe("rules read from the stock agents, as rg_test rules would show them", () => {
  it("script: name primary, file required, service_name inherits service%name, status every 30 s", () => {
    const rule = ruleOf(stock("script"));
    expect(rule.type).toBe("script");
    expect(primaryParameter(rule)?.name).toBe("name");
    expect(rule.parameters.find((p) => p.name === "file")).toMatchObject({ required: true, unique: true, primary: false });
    expect(rule.parameters.find((p) => p.name === "service_name")?.inherit).toBe("service%name");
    expect(findAction(rule, "status")).toMatchObject({ interval: 30, timeout: 0, depth: 0 });
    expect(rule.children).toEqual([]);
  });

  it("fs: status at depths 0/10/20 with intervals 60/30/60, child levels without DTD defaults", () => {
    const rule = ruleOf(stock("fs"));
    expect([0, 10, 20].map((d) => findAction(rule, "status", d)?.interval)).toEqual([60, 30, 60]);
    expect(findAction(rule, "start")?.timeout).toBe(900);
    expect(rule.maxInstances).toBe(1);
    expect(rule.children).toContainEqual({ type: "nfsexport", start: 3, stop: 1, forbid: false });
  });

  it("nfsexport: a child with neither start nor stop reads as level 0/0 (the DTD's 100/0 is not applied)", () => {
    expect(ruleOf(stock("nfsexport")).children).toContainEqual({ type: "nfsclient", start: 0, stop: 0, forbid: false });
  });

  it("vm: init_on_add and destroy_on_delete turned off by 0; migrate timeout 10m = 600 s", () => {
    const rule = ruleOf(stock("vm"));
    expect(rule).toMatchObject({ initOnAdd: false, destroyOnDelete: false, maxInstances: 1 });
    expect(findAction(rule, "migrate")?.timeout).toBe(600);
  });

  it("service: defaults are kept (autostart=1, recovery=restart)", () => {
    const rule = ruleOf(stock("service"));
    expect(rule.parameters.find((p) => p.name === "autostart")?.defaultValue).toBe("1");
    expect(rule.parameters.find((p) => p.name === "recovery")?.defaultValue).toBe("restart");
  });

  it("every stock agent loads with exactly one primary parameter", () => {
    for (const name of ["fs", "ip", "nfsclient", "nfsexport", "script", "service", "vm"]) {
      expect(ruleOf(stock(name)).parameters.filter((p) => p.primary).length, name).toBe(1);
    }
  });
});

describe("how rgmanager reads flags and times", () => {
  it('"yes" counts as set (rgmanager) although the schema generator treats it as unset', () => {
    const rule = ruleOf(agent(param('name="a" primary="1"') + param('name="b" required="yes"') + param('name="c" required="0"') + param('name="d" required=""')));
    expect(rule.parameters.map((p) => [p.name, p.required])).toEqual([["a", false], ["b", true], ["c", false], ["d", false]]);
  });

  it("depth is read only for status and monitor; a present interval below 1 becomes 1", () => {
    const rule = ruleOf(agent(param('name="a" primary="1"'), '<action name="start" timeout="1m" depth="10"/><action name="status" timeout="5" interval="0" depth="20"/><action name="status" timeout="5"/>'));
    expect(rule.actions).toMatchObject([
      { name: "start", depth: 0, timeout: 60, interval: 0 },
      { name: "status", depth: 20, interval: 1 },
      { name: "status", depth: 0, interval: 0 },
    ]);
  });
});

describe("what makes rgmanager refuse an agent", () => {
  const reasonsOf = (text: string): string => {
    const r = ruleFromMetadata(text);
    expect(r.ok).toBe(false);
    return r.ok ? "" : r.reasons.join("\n");
  };

  it("two primary parameters", () => {
    expect(reasonsOf(agent(param('name="a" primary="1"') + param('name="b" primary="1"')))).toMatch(/Multiple primary definitions: a, b/);
  });

  it("inherit together with required, primary or unique", () => {
    expect(reasonsOf(agent(param('name="a" primary="1"') + param('name="b" inherit="service%name" required="1"')))).toMatch(/parameter b: Can not inherit/);
    expect(reasonsOf(agent(param('name="a" primary="1"') + param('name="b" inherit="x" unique="1"')))).toMatch(/parameter b: Can not inherit/);
  });

  it("the reserved type name action, and a missing name", () => {
    expect(reasonsOf(agent(param('name="a" primary="1"'), undefined, "Action"))).toMatch(/reserved/);
    expect(reasonsOf(agent(param('name="a" primary="1"'), undefined, ""))).toMatch(/@name is missing/);
  });

  it("output that libxml2 would not parse: a leading newline, or nothing at all", () => {
    expect(reasonsOf("\n" + stock("script"))).toMatch(/does not parse.*silently skips/);
    expect(reasonsOf("")).toMatch(/empty/);
  });
});
