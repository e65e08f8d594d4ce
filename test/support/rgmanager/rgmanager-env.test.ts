import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RGMANAGER_REFERENCE } from "./paths.js";
import { ruleFromMetadata, type ResourceRule } from "./resource-rules.js";
import { actionEnvironment, parameterValues } from "./rgmanager-env.js";

function stockRule(name: string): ResourceRule {
  const r = ruleFromMetadata(readFileSync(join(RGMANAGER_REFERENCE, "agents-metadata", `${name}.xml`), "utf8"));
  if (!r.ok) throw new Error(r.reasons.join("; "));
  return r.rule;
}

// The guide's tree: <service name="clusvc"><script file="/etc/init.d/swraid" name="swraid">…
const serviceOf = (spec: string): string | undefined => (spec === "service%name" ? "clusvc" : undefined);

describe("the environment rgmanager gives an agent", () => {
  it("reproduces the contract's worked example for the guide's swraid script (§4.1)", () => {
    const r = actionEnvironment(stockRule("script"), { attributes: { file: "/etc/init.d/swraid", name: "swraid" }, inherit: serviceOf }, "status");
    expect(r.run).toBe(true);
    if (!r.run) return;
    expect(r.env).toEqual({
      OCF_RESKEY_name: "swraid",
      OCF_RESKEY_file: "/etc/init.d/swraid",
      OCF_RESKEY_service_name: "clusvc",
      OCF_RA_VERSION_MAJOR: "1",
      OCF_RA_VERSION_MINOR: "0",
      OCF_ROOT: "/usr/share/cluster",
      OCF_RESOURCE_INSTANCE: "script:swraid",
      OCF_RESOURCE_TYPE: "script",
      OCF_CHECK_LEVEL: "0",
      OCF_RESKEY_RGMANAGER_meta_refcnt: "0",
      OCF_RESKEY_RGMANAGER_meta_timeout: "0",
    });
    expect(Object.keys(r.env)).not.toContain("PATH");
  });

  it("applies meta-data defaults for parameters the configuration leaves out (ip monitor_link=1)", () => {
    const r = actionEnvironment(stockRule("ip"), { attributes: { address: "192.168.0.20" } }, "start");
    expect(r.run && r.env.OCF_RESKEY_monitor_link).toBe("1");
    expect(r.run && r.env.OCF_RESOURCE_INSTANCE).toBe("ip:192.168.0.20");
    expect(r.run && r.env.OCF_RESKEY_RGMANAGER_meta_timeout).toBe("20");
  });

  it("passes the status depth in OCF_CHECK_LEVEL and that depth's timeout; 0 when timeouts are enforced", () => {
    const fs = stockRule("fs");
    const attributes = { name: "sharedvol", device: "/dev/md0", mountpoint: "/sharedstorage", fstype: "ext4" };
    const deep = actionEnvironment(fs, { attributes }, "status", 20);
    expect(deep.run && [deep.env.OCF_CHECK_LEVEL, deep.env.OCF_RESKEY_RGMANAGER_meta_timeout]).toEqual(["20", "30"]);
    const enforced = actionEnvironment(fs, { attributes, enforceTimeouts: true }, "stop");
    expect(enforced.run && [enforced.env.OCF_CHECK_LEVEL, enforced.env.OCF_RESKEY_RGMANAGER_meta_timeout]).toEqual(["0", "0"]);
  });

  it("does not run an undeclared action or depth (the action gate counts it as success)", () => {
    const script = stockRule("script");
    const r = actionEnvironment(script, { attributes: { file: "/x", name: "x" } }, "recover");
    expect(r).toMatchObject({ run: false });
    expect(actionEnvironment(script, { attributes: { file: "/x", name: "x" } }, "status", 10)).toMatchObject({ run: false });
  });

  it("a missing required attribute means the resource does not exist", () => {
    const v = parameterValues(stockRule("script"), { attributes: { name: "swraid" } });
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(/lacks required attribute file/);
  });

  it("a configured value wins over inheritance and defaults", () => {
    const v = parameterValues(stockRule("script"), { attributes: { name: "a", file: "/f", service_name: "own" }, inherit: serviceOf });
    expect(v.ok && v.values.get("service_name")).toBe("own");
  });
});
