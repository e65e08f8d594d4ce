/**
 * meta-data as the cluster managers read it: the built bundle through the real shims, empty environment,
 * stdin and stderr closed (rgmanager), validated with xmllint against both DTDs (../shared/reference).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { removeTempDirs, REFERENCE, runShim, snapshotBuild, xmllint } from "./raid-support.js";

const OCF_DTD = join(REFERENCE, "ocf/ra-api-1.dtd");
const RGM_DTD = join(REFERENCE, "rgmanager/ra-api-1-modified.dtd");
let LIB: Record<string, string> = {};

const xpath = (xml: string, expr: string): string => {
  const r = xmllint(["--xpath", expr, "-"], xml);
  return r.status === 0 ? r.output.trim() : "";
};

afterAll(() => removeTempDirs());

beforeAll(() => {
  LIB = { PMSAPP_LIBDIR: snapshotBuild() };
});

describe.each([
  ["ocf", OCF_DTD, "raid"],
  ["rgmanager", RGM_DTD, "pmsapp-raid"],
] as const)("%s meta-data", (face, dtd, typeName) => {
  const closed = () => runShim(face, ["meta-data"], LIB, { closeFds: true });

  it("prints <?xml as its very first bytes with stdin and stderr closed and no environment, exit 0", () => {
    const r = closed();
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith("<?xml")).toBe(true);
  });

  it(`is valid against ${face === "ocf" ? "ra-api-1.dtd" : "ra-api-1-modified.dtd"}`, () => {
    const r = xmllint(["--noout", "--dtdvalid", dtd, "-"], closed().stdout);
    expect(r.output.replace(/.*failed to load external entity "ra-api-1.dtd"[\s\S]*?\^\n/g, "")).toBe("");
    expect(r.status).toBe(0);
  });

  it(`names the agent ${typeName} and declares start, stop, meta-data and validate-all with timeouts`, () => {
    const xml = closed().stdout;
    expect(xpath(xml, "string(/resource-agent/@name)")).toBe(typeName);
    for (const a of ["start", "stop", "meta-data", "validate-all"]) {
      expect(xpath(xml, `count(//actions/action[@name="${a}" and @timeout])`)).toBe("1");
    }
  });

  it("lists exactly the parameters of issue 2, uuid and targets required", () => {
    const xml = closed().stdout;
    const names = xpath(xml, "//parameters/parameter/@name").match(/name="([^"]+)"/g)?.map((s) => s.slice(6, -1));
    expect(names).toEqual([
      "name",
      "md_device",
      "uuid",
      "targets",
      "login_timeout",
      "login_retries",
      "replacement_timeout",
      "degraded",
      "start_timeout",
      "stop_timeout",
      "status_timeout",
    ]);
    expect(xpath(xml, 'string(//parameter[@name="uuid"]/@required)')).toBe("1");
    expect(xpath(xml, 'string(//parameter[@name="targets"]/@required)')).toBe("1");
    expect(xpath(xml, 'string(//parameter[@name="degraded"]/content/@default)')).toBe("safe");
    expect(xpath(xml, 'string(//parameter[@name="login_timeout"]/content/@default)')).toBe("2");
    expect(xpath(xml, 'string(//parameter[@name="replacement_timeout"]/content/@default)')).toBe("5");
  });
});

describe("OCF dialect specifics", () => {
  const xml = () => runShim("ocf", ["meta-data"], LIB).stdout;

  it("carries the ra-api-1.dtd DOCTYPE that ocf-tester's `xmllint --valid` needs (run in the DTD's folder)", () => {
    const r = xmllint(["--noout", "--valid", "-"], xml(), join(REFERENCE, "ocf"));
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("declares monitor at depths 0, 10, 20 with distinct intervals (Pacemaker forbids shared ones)", () => {
    const x = xml();
    const intervals = ["0", "10", "20"].map((d) => xpath(x, `string(//action[@name="monitor" and @depth="${d}"]/@interval)`));
    expect(intervals.every((i) => i !== "")).toBe(true);
    expect(new Set(intervals).size).toBe(3);
  });

  it("has no rgmanager-only attributes or elements", () => {
    const x = xml();
    expect(xpath(x, "count(//@primary)")).toBe("0");
    expect(xpath(x, "count(//special)")).toBe("0");
  });
});

describe("rgmanager dialect specifics", () => {
  const xml = () => runShim("rgmanager", ["meta-data"], LIB, { closeFds: true }).stdout;

  it("puts primary=\"1\" on name and on no other parameter", () => {
    const x = xml();
    expect(xpath(x, "count(//parameter[@primary])")).toBe("1");
    expect(xpath(x, 'string(//parameter[@primary="1"]/@name)')).toBe("name");
  });

  it("declares status WITH intervals at depths 0, 10 and 20 (rgmanager never schedules monitor)", () => {
    const x = xml();
    for (const d of ["0", "10", "20"]) {
      const interval = xpath(x, `string(//action[@name="status" and @depth="${d}"]/@interval)`);
      expect(interval, `status depth ${d}`).toMatch(/^[1-9]\d*[smh]?$/);
    }
  });

  it("keeps every shortdesc free of \" & < > (ra2rng.xsl copies them unescaped into cluster.rng)", () => {
    const x = xml();
    const shortdescs = [...x.matchAll(/<shortdesc[^>]*>([\s\S]*?)<\/shortdesc>/g)].map((m) => m[1] ?? "");
    expect(shortdescs.length).toBeGreaterThan(10);
    for (const s of shortdescs) expect(s).not.toMatch(/["&<>]/);
  });

  it("uses only whole numbers for timeouts and intervals (rgmanager's expand_time misreads ms and decimals)", () => {
    const x = xml();
    const values = [...x.matchAll(/(?:timeout|interval)="([^"]*)"/g)].map((m) => m[1]);
    for (const v of values) expect(v).toMatch(/^\d+[smhdwy]?$/);
  });
});
