import { notes as seedNotes, titles } from "../../src/db/seed-prospects";
import type { ProspectSeed } from "../prospects/support";

/**
 * 1,000 deterministic prospects for search tests: the same rows, ids and order on every run and
 * on both dialects. The tests plant the rows their cases name (the Acme companies) beside them.
 */
export function searchFixture(count = 1000): ProspectSeed[] {
  // mulberry32: a small seeded generator, so the rows are the same on every run.
  let state = 42;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;

  const rows: ProspectSeed[] = [];
  for (let i = 0; i < count; i++) {
    const firstName = pick(firstNames);
    const lastName = pick(lastNames);
    const company = `${pick(companyStems)} ${pick(companySuffixes)}`;
    const domain = company.toLowerCase().replace(/[^a-z]+/g, "");
    rows.push({
      id: fixtureId(i),
      firstName,
      lastName,
      email: `${firstName.toLowerCase()}.${lastName.toLowerCase()}${i}@${domain}.example`
        .normalize("NFD")
        .replace(/\p{M}/gu, ""),
      company,
      title: pick(titles),
      notes: `${pick(notes)} ${pick(notes)}`,
      score: Math.floor(next() * 101),
      createdAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    });
  }
  return rows;
}

/** The rows the search tests name: three Acme companies, one of them exactly "Acme". */
export const acmeRows: ProspectSeed[] = [
  {
    id: "00000000-0000-7000-9000-000000000001",
    email: "wile.coyote@acme.example",
    firstName: "Wile",
    lastName: "Coyote",
    company: "Acme",
    title: "Buyer",
  },
  {
    id: "00000000-0000-7000-9000-000000000002",
    email: "road.runner@acmecorp.example",
    firstName: "Road",
    lastName: "Runner",
    company: "Acme Corp",
    title: "CTO",
  },
  {
    id: "00000000-0000-7000-9000-000000000003",
    email: "bugs.bunny@acmeville.example",
    firstName: "Bugs",
    lastName: "Bunny",
    company: "Acmeville Supplies",
    title: "Founder",
  },
];

/** Ids in insertion order, so that ties broken by id break the same way on both dialects. */
export function fixtureId(i: number): string {
  return `00000000-0000-7000-8000-${String(i).padStart(12, "0")}`;
}

const firstNames = [
  "Ava",
  "Liam",
  "Sofia",
  "Noah",
  "Mia",
  "Ethan",
  "Zoë",
  "Lucas",
  "Amara",
  "Mateo",
  "Hannah",
  "Kenji",
  "Priya",
  "Oliver",
  "Chloé",
  "Samuel",
  "Isla",
  "Diego",
  "Leah",
  "Arjun",
] as const;
const lastNames = [
  "Thompson",
  "Nguyen",
  "García",
  "Patel",
  "Kowalski",
  "Okafor",
  "Lindqvist",
  "Moreau",
  "Haddad",
  "Rossi",
  "Becker",
  "Watanabe",
  "Raman",
  "Byrne",
  "Dubois",
  "Adeyemi",
  "MacLeod",
  "Fernández",
  "Cohen",
  "Mehta",
] as const;
// "Acme" is left out on purpose: the tests plant the Acme rows themselves.
const companyStems = [
  "Northwind",
  "Brightpath",
  "Helios",
  "Quantum",
  "Bluefin",
  "Cedar",
  "Orbit",
  "Pinecrest",
  "Atlas",
  "Lumen",
  "Granite",
  "Vertex",
  "Harbor",
  "Summit",
  "Kestrel",
  "Meridian",
  "Nimbus",
  "Sterling",
  "Willow",
  "Zephyr",
] as const;
const companySuffixes = [
  "Analytics",
  "Logistics",
  "Energy",
  "Health",
  "Software",
  "Retail",
  "Labs",
  "Systems",
] as const;
const notes = [
  ...seedNotes,
  "Previously worked with Acme on a data migration.",
  "Uses Acme tooling today and wants to consolidate.",
] as const;
