import { describe, expect, test } from "bun:test";
import { exactText, searchTerms, toFtsMatch, toTsQuery } from "../../src/modules/search/terms";

describe("search words", () => {
  test.each([
    ["Acme Corp", ["acme", "corp"]],
    ['"acme" corp*', ["acme", "corp"]],
    ["acme & (corp | !globex)", ["acme", "corp", "globex"]],
    ["name:acme' OR 1=1 --", ["name", "acme", "or", "1"]],
    ["acme ACME Acmé", ["acme"]],
    ["ava.thompson@northwind.io", ["ava", "thompson", "northwind", "io"]],
    ["García-Núñez", ["garcia", "nunez"]],
    ["Ødegaard straße", ["ødegaard", "straße"]],
    ["  ***  ", []],
  ])("%p is searched as %p", (q, words) => {
    expect(searchTerms(q)).toEqual(words);
  });

  test("every word becomes a required prefix in both query languages", () => {
    expect(toTsQuery(["acm", "corp"])).toBe("acm:* & corp:*");
    expect(toFtsMatch(["acm", "corp"])).toBe('"acm"* AND "corp"*');
  });

  test("the exact-match text is the query trimmed, spaces collapsed, in lower case", () => {
    expect(exactText("  Acme   CORP ")).toBe("acme corp");
  });
});
