/**
 * rgmanager conformance, schema: cluster.rng assembled like ccs_update_schema does from the reference
 * pieces, the stock agents and pmsapp-raid's own meta-data (run through its shim as rgmanager would),
 * then `xmllint --relaxng` on the guide's cluster.conf rewritten to use <pmsapp-raid>, and on variants
 * that must be rejected (contract reference §2.2-§2.4).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildClusterRng, orderLikeCcsUpdateSchema, stockAgents } from "../support/rgmanager/cluster-schema.js";
import { INSTALLED_NAME, pmsappMetadata, TYPE_NAME } from "../support/rgmanager/pmsapp-agent.js";
import { REPO_ROOT } from "../support/rgmanager/paths.js";
import { defineName, ra2rng } from "../support/rgmanager/ra2rng.js";
import { childElements, parseXml, type XmlElement } from "../support/rgmanager/xml.js";
import { validWithRelaxng, wellFormed } from "../support/rgmanager/xmllint.js";

const confDir = join(REPO_ROOT, "test", "contract", "fixtures", "cluster-conf");
const read = (name: string): string => readFileSync(join(confDir, name), "utf8");

/**
 * Each invalid sample and the one edit that undoes its fault: the repaired text must validate, which
 * proves the sample is rejected for the fault it names and nothing else.
 */
const REPAIRS: Record<string, (text: string) => string> = {
  "undeclared-attribute.conf": (t) => t.replace(' file="/etc/init.d/swraid"', ""),
  "misspelled-attribute.conf": (t) => t.replace(" md-device=", " md_device="),
  "missing-uuid.conf": (t) => t.replace(' targets="', ' uuid="1e618de3:71fb3487:b1b62896:ad659dc6" targets="'),
  "missing-targets.conf": (t) => t.replace(' degraded="safe"', ' targets="iqn.2012-03.org.pmsapp:pmsapp1.disk@172.16.0.21" degraded="safe"'),
  "missing-name.conf": (t) => t.replace("<pmsapp-raid ", '<pmsapp-raid name="sharedraid" '),
  "ref-plus-attribute.conf": (t) => t.replace(' ref="sharedraid" degraded="force"', ' ref="sharedraid"'),
  "outside-service.conf": (t) => t.replace(/\n {4}<pmsapp-raid name="stray"[^\n]*/, ""),
  "misspelled-element.conf": (t) => t.replaceAll("pmsapp_raid", "pmsapp-raid"),
};
const invalidSamples = readdirSync(join(confDir, "invalid")).filter((f) => f.endsWith(".conf")).sort();

describe(`cluster.rng with ${TYPE_NAME}`, () => {
  let metadata = "";
  let rng = "";

  beforeAll(() => {
    metadata = pmsappMetadata().stdout;
    rng = buildClusterRng(orderLikeCcsUpdateSchema([...stockAgents(), { source: INSTALLED_NAME, metadata }]));
  });

  it("is well-formed (ccs_update_schema's own check before installing it)", () => {
    expect(wellFormed(rng)).toMatchObject({ ok: true, messages: "" });
  });

  it(`adds one define, ${defineName(TYPE_NAME)}, that no piece or stock agent already uses`, () => {
    const defines = [...rng.matchAll(/<define name="([^"]+)"/g)].map((m) => m[1]);
    expect(defines.filter((d) => d === defineName(TYPE_NAME))).toHaveLength(1);
    expect(new Set(defines).size, "duplicate defines make every validation fail").toBe(defines.length);
  });

  it("makes name, uuid and targets mandatory and every other parameter optional", () => {
    const define = parseXml(`<grammar xmlns:rha="x">${ra2rng(metadata)}</grammar>`).children.find((c): c is XmlElement => c.kind === "element")!;
    const group = childElements(childElements(childElements(define, "element")[0]!, "choice")[0]!, "group")[1]!;
    expect(childElements(group, "attribute").map((a) => a.attributes.get("name")).sort()).toEqual(["name", "targets", "uuid"]);
    expect(childElements(group, "optional").length).toBeGreaterThan(0);
  });

  it.each(["pmsapp-2node.conf", "pmsapp-3node.conf", "pmsapp-2node-ref.conf"])("validates %s", (name) => {
    const r = validWithRelaxng(rng, read(name));
    expect(r.messages).toMatch(/validates$/);
    expect(r.ok).toBe(true);
  });

  it("the rewritten files differ from the guide's only in the element that replaces <script>", () => {
    for (const n of ["2node", "3node"]) {
      const back = read(`pmsapp-${n}.conf`)
        .replace(/<pmsapp-raid [^>]*>/, '<script file="/etc/init.d/swraid" name="swraid">')
        .replace("</pmsapp-raid>", "</script>");
      expect(back, n).toBe(read(`guide-${n}.conf`));
    }
  });

  it("the guide's original files still validate next to pmsapp-raid", () => {
    for (const n of ["guide-2node.conf", "guide-3node.conf"]) expect(validWithRelaxng(rng, read(n)).ok, n).toBe(true);
  });

  it("the invalid samples are all covered by a repair", () => {
    expect(invalidSamples).toEqual(Object.keys(REPAIRS).sort());
  });

  it.each(invalidSamples)("rejects invalid/%s, and accepts it once its one fault is undone", (name) => {
    const text = read(join("invalid", name));
    const r = validWithRelaxng(rng, text);
    expect(r.messages).toMatch(/fails to validate/);
    expect(r.ok).toBe(false);
    const repaired = REPAIRS[name]!(text);
    expect(repaired).not.toBe(text);
    expect(validWithRelaxng(rng, repaired).messages).toMatch(/validates$/);
  });

  it("without pmsapp-raid's definitions the rewritten files are rejected", () => {
    expect(validWithRelaxng(buildClusterRng(stockAgents()), read("pmsapp-2node.conf")).ok).toBe(false);
  });
});
