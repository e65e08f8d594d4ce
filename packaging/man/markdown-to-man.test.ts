import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { inline, markdownToMan } from "./markdown-to-man.mjs";
import { MAN_PAGES, readmePart, renderManPages } from "./pages.mjs";

const README = readFileSync(join(fileURLToPath(new URL("../..", import.meta.url)), "README.md"), "utf8");

describe("markdownToMan", () => {
  it("turns ## and ### headings into .SH and .SS", () => {
    expect(markdownToMan("## Install it\n\n### On EL9\n")).toBe('.SH "INSTALL IT"\n.SS "On EL9"\n');
  });

  it("keeps code blocks verbatim, with real minus signs and no line read as a roff request", () => {
    const man = markdownToMan("```sh\n.hidden\n'quoted\npcs resource create --group nfs\nprintf 'a\\n'\n```\n");
    expect(man).toBe(
      [".PP", ".RS 4", ".nf", "\\&.hidden", "\\&'quoted", "pcs resource create \\-\\-group nfs", "printf 'a\\en'", ".fi", ".RE", ""].join("\n"),
    );
  });

  it("protects a paragraph that starts with a dot", () => {
    expect(markdownToMan(".conf files are read once\n")).toBe(".PP\n\\&.conf files are read once\n");
  });

  it("renders a pipe table as a tagged list labelled by the header", () => {
    const man = markdownToMan("| parameter | default | meaning |\n| --- | --- | --- |\n| `login_timeout` | 2 | seconds per login |\n");
    expect(man).toBe([".TP", "\\fBlogin_timeout\\fR", "default: 2", ".br", "meaning: seconds per login", ""].join("\n"));
  });

  it("keeps a pipe inside inline code in its cell", () => {
    expect(markdownToMan("| a | b |\n| --- | --- |\n| `x|y` | z |\n")).toBe([".TP", "\\fBx|y\\fR", "z", ""].join("\n"));
  });

  it("nests lists with balanced .RS/.RE and joins continuation lines", () => {
    const man = markdownToMan("- one\n  continued\n  - inner\n- two\n\nafter\n");
    expect(man).toBe([".IP \\(bu 4", "one continued", ".RS 2", ".IP \\(bu 4", "inner", ".RE", ".IP \\(bu 4", "two", ".PP", "after", ""].join("\n"));
  });

  it("numbers ordered lists", () => {
    expect(markdownToMan("1. first\n2. second\n")).toBe(".IP 1. 4\nfirst\n.IP 2. 4\nsecond\n");
  });

  it("drops HTML comments (the README's section markers)", () => {
    expect(markdownToMan("<!-- section:x -->\ntext\n<!-- /section:x -->\n")).toBe(".PP\ntext\n");
  });
});

describe("non-ASCII text", () => {
  it("becomes \\[uXXXX] escapes in text and in code, so groff needs no preprocessor", () => {
    expect(markdownToMan("refuse \u2014 touching nothing \u00b7 `ARRAY <ignore> UUID=\u2026`\n")).toBe(".PP\nrefuse \\[u2014] touching nothing \\[u00B7] \\fBARRAY <ignore> UUID=\\[u2026]\\fR\n");
    expect(markdownToMan("```\n\u2192 \u{1F600}\n```\n")).toContain("\n\\[u2192] \\[u1F600]\n");
  });
});

describe("inline", () => {
  it("renders code, bold, italic and links, escaping backslashes", () => {
    expect(inline("run `a-b` **now**, *maybe* [docs](https://example.org/x) or [README](README.md) C:\\x")).toBe(
      "run \\fBa\\-b\\fR \\fBnow\\fR, \\fImaybe\\fR docs (https://example.org/x) or README C:\\ex",
    );
  });
});

describe("README parts", () => {
  it("finds the introduction of the real README", () => {
    expect(readmePart(README, "intro")).toContain("Highly available shared storage");
  });

  it("reads a section between its markers and treats an empty one as missing", () => {
    const readme = "# t\n\nintro\n\n## x\n<!-- section:a -->\n## A\ntext a\n<!-- /section:a -->\n<!-- section:b -->\n<!-- /section:b -->\n";
    expect(readmePart(readme, "a")).toBe("\n## A\ntext a\n");
    expect(readmePart(readme, "b")).toBeUndefined();
    expect(readmePart(readme, "nope")).toBeUndefined();
  });

  it("names the helper who writes each missing part, and renders nothing", () => {
    const r = renderManPages("# pmsapp\n\nintro text\n\n## next\n", "1.2.3");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'README.md part "install" is empty or missing (written by the packaging helper); man page pmsapp(7) needs it',
      'README.md part "raid-agent" is empty or missing (written by the raid-agent helper); man page pmsapp-raid(7) needs it',
      'README.md part "target-keeper" is empty or missing (written by the target-keeper helper); man page pmsapp-target(8) needs it',
      'README.md part "daemon" is empty or missing (written by the daemon helper); man page pmsappd(8) needs it',
    ]);
  });

  it("renders every page with .TH, NAME, the parts and SEE ALSO, plus the pmsapp(1) pointer", () => {
    const sections = ["install", "raid-agent", "target-keeper", "daemon"].map((s) => `<!-- section:${s} -->\n## ${s} part\n\ntext of ${s}\n<!-- /section:${s} -->\n`);
    const r = renderManPages(`# pmsapp\n\nintro text\n\n## next\n${sections.join("")}`, "1.2.3");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.pages.map((p) => p.file)).toEqual([...MAN_PAGES.map((p) => `${p.name}.${p.section}`), "pmsapp.1"]);
    const raid = r.pages.find((p) => p.file === "pmsapp-raid.7")?.text ?? "";
    expect(raid).toContain('.TH PMSAPP-RAID 7 "" "pmsapp 1.2.3" "pmsapp manual"\n.SH NAME\npmsapp-raid \\- ');
    expect(raid).toContain('.SH DESCRIPTION\n.SS "raid-agent part"\n.PP\ntext of raid-agent\n');
    expect(raid).toContain(".SH SEE ALSO\n.BR pmsapp (7),\n.BR pmsapp-target (8),\n.BR pmsappd (8)\n");
    expect(r.pages.find((p) => p.file === "pmsapp.1")?.text).toBe(".so man8/pmsappd.8\n");
  });
});

describe("README parts inside a page", () => {
  it("demotes a part's own headings but never a # comment inside its code blocks", () => {
    const readme = "# t\n\nintro\n\n## x\n" + ["install", "raid-agent", "target-keeper", "daemon"].map((s) => `<!-- section:${s} -->\n## Part\n\n\`\`\`sh\n# a shell comment\n## another\n\`\`\`\n<!-- /section:${s} -->\n`).join("");
    const r = renderManPages(readme, "1");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const text = r.pages[0]?.text ?? "";
    expect(text).toContain('.SS "Part"\n.PP\n.RS 4\n.nf\n# a shell comment\n## another\n.fi\n');
  });
});
