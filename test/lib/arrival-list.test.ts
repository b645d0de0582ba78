import { expect, test } from "bun:test";
import { type ArrivalEntry, ArrivalList } from "../../src/lib/arrival-list";

interface Item extends ArrivalEntry<Item> {
  name: string;
}

const item = (name: string): Item => ({ name, prev: undefined, next: undefined, listed: false });

function names(list: ArrivalList<Item>): string[] {
  const out: string[] = [];
  for (let entry = list.oldest; entry; entry = entry.next) out.push(entry.name);
  return out;
}

test("keeps arrival order, oldest first, whichever entries leave and from where", () => {
  const list = new ArrivalList<Item>();
  const [a, b, c, d] = ["a", "b", "c", "d"].map(item) as [Item, Item, Item, Item];
  for (const entry of [a, b, c, d]) list.append(entry);
  expect(names(list)).toEqual(["a", "b", "c", "d"]);
  list.remove(b);
  expect(names(list)).toEqual(["a", "c", "d"]);
  list.remove(a);
  expect(list.oldest).toBe(c);
  list.remove(d);
  list.append(b);
  expect(names(list)).toEqual(["c", "b"]);
  expect(list.size).toBe(2);
  expect(list.remove(c)).toBe(true);
  expect(list.remove(b)).toBe(true);
  expect(list.oldest).toBeUndefined();
  expect(list.size).toBe(0);
  list.append(a);
  expect(names(list)).toEqual(["a"]);
});

test("removing an entry a second time, or one never appended, does nothing and says so", () => {
  const list = new ArrivalList<Item>();
  const [a, b] = ["a", "b"].map(item) as [Item, Item];
  list.append(a);
  expect(list.remove(b)).toBe(false);
  expect(list.remove(a)).toBe(true);
  expect(list.remove(a)).toBe(false);
  expect(list.size).toBe(0);
  expect(list.oldest).toBeUndefined();
});
