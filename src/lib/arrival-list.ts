/** An entry of an ArrivalList: the list's links live on the entry itself, so joining allocates nothing. */
export interface ArrivalEntry<T> {
  prev: T | undefined;
  next: T | undefined;
  /** In the list now: appended and not removed since. */
  listed: boolean;
}

/**
 * Entries in the order they arrived, oldest first: with one timeout for all, that is deadline
 * order, so a sweep only ever looks at the oldest. Appending and removing are a few property
 * writes; a Set's add and delete cost far more under churn (~8 µs a database query, measured).
 */
export class ArrivalList<T extends ArrivalEntry<T>> {
  oldest: T | undefined;
  private newest: T | undefined;
  size = 0;

  append(entry: T): void {
    entry.listed = true;
    entry.prev = this.newest;
    if (this.newest) this.newest.next = entry;
    else this.oldest = entry;
    this.newest = entry;
    this.size++;
  }

  /**
   * Takes the entry out; false when it was not in the list (the other side, an answer or a
   * deadline, took it first), so that whichever comes second knows to do nothing.
   */
  remove(entry: T): boolean {
    if (!entry.listed) return false;
    entry.listed = false;
    if (entry.prev) entry.prev.next = entry.next;
    else this.oldest = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.newest = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
    this.size--;
    return true;
  }
}
