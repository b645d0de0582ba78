/** Deterministic demo prospects: the same 50 every time, varied enough to try lists and search. */

export interface SeedProspect {
  firstName: string;
  lastName: string;
  email: string;
  company: string;
  title: string;
  phone: string;
  linkedinUrl: string;
  status: "new" | "contacted" | "qualified" | "proposal" | "won" | "lost";
  score: number;
  tags: string[];
  notes: string;
}

const people = [
  ["Ava", "Thompson"],
  ["Liam", "Nguyen"],
  ["Sofia", "García"],
  ["Noah", "Patel"],
  ["Mia", "Kowalski"],
  ["Ethan", "Okafor"],
  ["Zoë", "Lindqvist"],
  ["Lucas", "Moreau"],
  ["Amara", "Haddad"],
  ["Mateo", "Rossi"],
  ["Hannah", "Becker"],
  ["Kenji", "Watanabe"],
  ["Priya", "Raman"],
  ["Oliver", "Byrne"],
  ["Chloé", "Dubois"],
  ["Samuel", "Adeyemi"],
  ["Isla", "MacLeod"],
  ["Diego", "Fernández"],
  ["Leah", "Cohen"],
  ["Arjun", "Mehta"],
  ["Emma", "Johansson"],
  ["Tomás", "Silva"],
  ["Grace", "O'Connor"],
  ["Yusuf", "Demir"],
  ["Nora", "Eriksen"],
] as const;

const companies = [
  ["Northwind Analytics", "northwind.io"],
  ["Brightpath Logistics", "brightpath.co"],
  ["Helios Energy", "heliosenergy.com"],
  ["Quantum Ledger", "quantumledger.dev"],
  ["Bluefin Health", "bluefinhealth.com"],
  ["Cedar & Stone Legal", "cedarstone.law"],
  ["Orbit Retail", "orbitretail.com"],
  ["Pinecrest Software", "pinecrest.dev"],
  ["Atlas Manufacturing", "atlasmfg.com"],
  ["Lumen Education", "lumen.edu"],
] as const;

export const titles = [
  "VP of Sales",
  "Head of Revenue Operations",
  "Chief Technology Officer",
  "Director of Marketing",
  "Procurement Manager",
  "Founder & CEO",
  "Head of Growth",
  "IT Director",
  "Operations Lead",
  "Customer Success Manager",
] as const;

const statuses = ["new", "contacted", "qualified", "proposal", "won", "lost"] as const;

const tagSets = [
  ["enterprise", "inbound"],
  ["smb"],
  ["enterprise", "renewal"],
  ["mid-market", "outbound"],
  ["inbound", "demo-requested"],
  ["partner"],
  ["mid-market", "webinar"],
  [],
  ["outbound"],
  ["enterprise", "champion"],
] as const;

export const notes = [
  "Met at SaaStr; interested in pipeline forecasting.",
  "Asked for a pricing sheet and a security questionnaire.",
  "Evaluating us against two competitors this quarter.",
  "Budget approved for Q3; needs SSO and audit logs.",
  "Warm intro from an existing customer.",
  "Replied to the outbound sequence, wants a demo next week.",
  "Churned from a competitor over reporting gaps.",
  "Legal review of the MSA in progress.",
] as const;

export function seedProspects(count = 50): SeedProspect[] {
  return Array.from({ length: count }, (_, i) => {
    const [firstName, lastName] = people[i % people.length] as readonly [string, string];
    const [company, domain] = companies[(i * 3) % companies.length] as readonly [string, string];
    const local = `${ascii(firstName)}.${ascii(lastName)}${i >= people.length ? i : ""}`;
    return {
      firstName,
      lastName,
      email: `${local}@${domain}`,
      company,
      title: titles[(i * 7) % titles.length] as string,
      phone: `+1-555-${String(1000 + ((i * 137) % 9000)).padStart(4, "0")}`,
      linkedinUrl: `https://www.linkedin.com/in/${local.replace(".", "-")}`,
      status: statuses[(i * 5) % statuses.length] as SeedProspect["status"],
      score: (i * 37 + 11) % 101,
      tags: [...(tagSets[i % tagSets.length] as readonly string[])],
      notes: notes[i % notes.length] as string,
    };
  });
}

/** Email-safe local part: "Zoë O'Connor" → "zoe", "oconnor". */
function ascii(name: string): string {
  return name
    .normalize("NFD")
    .replace(/[^A-Za-z]/g, "")
    .toLowerCase();
}
