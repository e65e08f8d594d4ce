import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RGMANAGER_REFERENCE } from "./paths.js";
import { defineName, ra2ref, ra2rng, SPECIAL_ATTRIBUTES, xpathNumber } from "./ra2rng.js";
import { childElements, parseXml, type XmlElement } from "./xml.js";
import { wellFormed } from "./xmllint.js";

const stock = (name: string): string => readFileSync(join(RGMANAGER_REFERENCE, "agents-metadata", `${name}.xml`), "utf8");
const RHA = 'xmlns:rha="http://redhat.com/~pkennedy/annotation_namespace/cluster_conf_annot_namespace"';
const inGrammar = (fragment: string): string => `<grammar xmlns="http://relaxng.org/ns/structure/1.0" ${RHA}>${fragment}</grammar>`;

const agent = (name: string, shortdesc: string, params: string): string =>
  `<?xml version="1.0"?>\n<resource-agent name="${name}"><version>1</version><longdesc>l</longdesc><shortdesc lang="en">${shortdesc}</shortdesc><parameters>${params}</parameters><actions/></resource-agent>`;
const param = (attrs: string, shortdesc = "d"): string => `<parameter ${attrs}><longdesc>l</longdesc><shortdesc>${shortdesc}</shortdesc><content type="string"/></parameter>`;

/** The attribute names of a generated define: [mandatory, optional]. */
function attributesOf(define: XmlElement): { mandatory: string[]; optional: string[] } {
  const element = childElements(define, "element")[0]!;
  const choice = childElements(element, "choice")[0]!;
  const paramsGroup = childElements(choice, "group")[1]!;
  return {
    mandatory: childElements(paramsGroup, "attribute").map((a) => a.attributes.get("name")!),
    optional: childElements(paramsGroup, "optional").map((o) => childElements(o, "attribute")[0]!.attributes.get("name")!),
  };
}

describe("defineName: translate(@name, '_abc…z', '-ABC…Z')", () => {
  it("upper-cases and turns _ into -", () => {
    expect(defineName("pmsapp-raid")).toBe("PMSAPP-RAID");
    expect(defineName("my_agent2")).toBe("MY-AGENT2");
    expect(defineName("Fs")).toBe("FS");
  });
  it("makes names that differ only in case or _/- collide", () => {
    expect(defineName("pmsapp_raid")).toBe(defineName("PMSAPP-raid"));
  });
});

describe("xpathNumber (the `@required = 1` comparison)", () => {
  it("is XPath number(), not JavaScript Number()", () => {
    expect(xpathNumber("1")).toBe(1);
    expect(xpathNumber(" 1.0 ")).toBe(1);
    for (const nan of ["yes", "true", "", "0x1", "1e0", "+1"]) expect(xpathNumber(nan), nan).toBeNaN();
  });
});

describe("ra2rng on the stock script agent", () => {
  const out = ra2rng(stock("script"));
  const define = parseXml(inGrammar(out)).children.find((c): c is XmlElement => c.kind === "element")!;

  it("emits one define named SCRIPT for element script with the normalised shortdesc", () => {
    expect(define.attributes.get("name")).toBe("SCRIPT");
    const element = childElements(define, "element")[0]!;
    expect(element.attributes.get("name")).toBe("script");
    expect(element.attributes.get("rha:description")).toBe("LSB-compliant init script as a clustered resource.");
  });

  it("makes primary and required parameters mandatory, everything else optional", () => {
    expect(attributesOf(define)).toEqual({ mandatory: ["name", "file"], optional: ["service_name"] });
  });

  it("offers ref= as the alternative, the six __ attributes, and optional CHILDREN", () => {
    const element = childElements(define, "element")[0]!;
    const refGroup = childElements(childElements(element, "choice")[0]!, "group")[0]!;
    expect(childElements(refGroup, "attribute").map((a) => a.attributes.get("name"))).toEqual(["ref"]);
    const optionals = childElements(element, "optional");
    expect(optionals.flatMap((o) => childElements(o, "attribute").map((a) => a.attributes.get("name")))).toEqual(SPECIAL_ATTRIBUTES.map(([n]) => n));
    expect(optionals.flatMap((o) => childElements(o, "ref").map((r) => r.attributes.get("name")))).toEqual(["CHILDREN"]);
  });

  it("ra2ref adds the define to CHILDREN", () => {
    expect(ra2ref(stock("script")).trim()).toBe('<ref name="SCRIPT"/>');
  });
});

describe("ra2rng keeps the stylesheet's sharp edges", () => {
  it('treats required="yes" and "true" as optional, "1.0" and primary="1" as mandatory', () => {
    const out = ra2rng(agent("t", "s", param('name="a" primary="1"') + param('name="b" required="yes"') + param('name="c" required="true"') + param('name="d" required="1.0"')));
    const define = parseXml(inGrammar(out)).children.find((c): c is XmlElement => c.kind === "element")!;
    expect(attributesOf(define)).toEqual({ mandatory: ["a", "d"], optional: ["b", "c"] });
  });

  it("uses only the first shortdesc and collapses its white space", () => {
    const meta = agent("t", "  two\n\t words ", param('name="a" primary="1"')).replace("</shortdesc>", '</shortdesc><shortdesc lang="de">zwei</shortdesc>');
    expect(ra2rng(meta)).toContain('rha:description="two words"');
  });

  it.each([
    ['a "quoted" word', "agent"],
    ["fish &amp; chips", "agent"],
    ["a &lt;b&gt; tag", "agent"],
    ['a "quoted" word', "parameter"],
  ])("writes %s from the %s shortdesc unescaped, so the schema no longer parses", (shortdesc, where) => {
    const meta = where === "agent" ? agent("t", shortdesc, param('name="a" primary="1"')) : agent("t", "fine", param('name="a" primary="1"', shortdesc));
    const good = where === "agent" ? agent("t", "fine", param('name="a" primary="1"')) : agent("t", "fine", param('name="a" primary="1"', "fine"));
    expect(wellFormed(inGrammar(ra2rng(good))).ok).toBe(true);
    expect(wellFormed(inGrammar(ra2rng(meta))).ok).toBe(false);
  });

  it("contributes nothing for meta-data that does not parse", () => {
    expect(ra2rng("\n" + stock("script"))).toBe("");
    expect(ra2ref("not xml")).toBe("");
  });

  it("copies the text of a document whose root is not resource-agent (XSLT built-in rules)", () => {
    expect(ra2rng("<agent>stray text</agent>")).toBe("stray text");
  });
});
