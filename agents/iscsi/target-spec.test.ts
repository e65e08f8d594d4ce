import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseLsLinks } from "../system/capture-fs.js";
import { fixture } from "../../test/support/fixtures.js";
import { matchesByPathName, parsePortal, parseTargetList, parseTargetSpec, validateIscsiName } from "./target-spec.js";

describe("iSCSI names (RFC 3720)", () => {
  it.each(["iqn.2024-01.lab.pmslab:node1.data", "iqn.2001-04.com.example", "iqn.2001-04.com.example:storage:disk2.sys1.xyz", "eui.02004567A425678D", "naa.52004567BA64678D", "naa.52004567BA64678D52004567BA64678D"])(
    "accepts %s",
    (name) => expect(validateIscsiName(name)).toBeUndefined(),
  );
  it.each([
    ["", /empty/],
    ["iqn.2024-13.lab.pmslab:x", /not an iqn\. name/],
    ["iqn.2024-01.lab.pmslab:node1;reboot", /not an iqn\. name/],
    ["iqn.2024-01.lab.pmslab:$(reboot)", /not an iqn\. name/],
    ["iqn.2024-01.Lab.Pmslab:x", /lower-case/],
    ["eui.0200456", /eui\./],
    ["naa.zz", /naa\./],
    ["target1", /must start with iqn\., eui\. or naa\./],
    ["iqn.2024-01.a:" + "x".repeat(230), /longer than 223 bytes/],
  ])("refuses %j", (name, why) => expect(validateIscsiName(name)).toMatch(why));
});

describe("portals", () => {
  it("IPv4 with and without port, bracketed IPv6, host names", () => {
    expect(parsePortal("10.99.0.12")).toEqual({ ok: true, value: { host: "10.99.0.12", kind: "ipv4", port: 3260 } });
    expect(parsePortal("10.99.0.12:3261")).toEqual({ ok: true, value: { host: "10.99.0.12", kind: "ipv4", port: 3261 } });
    expect(parsePortal("[fd00::12]:3260")).toEqual({ ok: true, value: { host: "fd00::12", kind: "ipv6", port: 3260 } });
    expect(parsePortal("[fd00::12]")).toEqual({ ok: true, value: { host: "fd00::12", kind: "ipv6", port: 3260 } });
    expect(parsePortal("san-1.example.org:3260")).toEqual({ ok: true, value: { host: "san-1.example.org", kind: "hostname", port: 3260 } });
  });
  it.each([
    ["10.99.0.12;reboot", /not an IPv4 address/],
    ["10.99.0.256", /not a valid IPv4/],
    ["fd00::12", /must be written in brackets/],
    ["[fd00::12", /unterminated/],
    ["[fd00::zz]:3260", /not an IPv6 address/],
    ["[fd00::12]x", /expected ':port'/],
    ["10.99.0.12:0", /port must be/],
    ["10.99.0.12:65536", /port must be/],
    ["10.99.0.12:32a", /port must be/],
    ["host name", /not an IPv4 address/],
    ["`reboot`", /not an IPv4 address/],
  ])("refuses %j", (text, why) => {
    const r = parsePortal(text);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(why);
  });
});

describe("target lists", () => {
  it("parses the members in order, with the portal as iscsiadm takes it", () => {
    const r = parseTargetList("iqn.2024-01.lab.pmslab:node1.data@10.99.0.11  iqn.2024-01.lab.pmslab:node2.data@[fd00::12]:3261");
    expect(r.ok && r.value.map((t) => [t.iqn, t.portalArg])).toEqual([
      ["iqn.2024-01.lab.pmslab:node1.data", "10.99.0.11:3260"],
      ["iqn.2024-01.lab.pmslab:node2.data", "[fd00::12]:3261"],
    ]);
  });
  it("refuses empty lists, missing @, two @ and duplicates", () => {
    expect(parseTargetList("  ").ok).toBe(false);
    expect(parseTargetSpec("iqn.2024-01.lab.pmslab:node1.data").ok).toBe(false);
    expect(parseTargetSpec("iqn.2024-01.lab.pmslab:node1.data@a@b").ok).toBe(false);
    const dup = parseTargetList("iqn.2024-01.lab.pmslab:node1.data@10.99.0.11 iqn.2024-01.lab.pmslab:node1.data@10.99.0.11:3260");
    expect(!dup.ok && dup.error).toMatch(/listed twice/);
  });
});

describe("by-path names (captured /dev/disk/by-path)", () => {
  const names = [...parseLsLinks(readFileSync(fixture("spike-2026-11-24", "raid1-healthy", "ls-l-dev-disk-by-path.txt"), "utf8")).keys()];
  const spec = (s: string) => {
    const r = parseTargetSpec(s);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  it("finds exactly the LUN of the configured target and portal", () => {
    expect(names.filter((n) => matchesByPathName(n, spec("iqn.2024-01.lab.pmslab:node2.data@10.99.0.12")))).toEqual([
      "ip-10.99.0.12:3260-iscsi-iqn.2024-01.lab.pmslab:node2.data-lun-1",
    ]);
    expect(names.filter((n) => matchesByPathName(n, spec("iqn.2024-01.lab.pmslab:node2.data@10.99.0.13")))).toEqual([]);
    expect(names.filter((n) => matchesByPathName(n, spec("iqn.2024-01.lab.pmslab:node2.data@10.99.0.12:3261")))).toEqual([]);
    expect(names.filter((n) => matchesByPathName(n, spec("iqn.2024-01.lab.pmslab:node2@10.99.0.12")))).toEqual([]);
  });
});
