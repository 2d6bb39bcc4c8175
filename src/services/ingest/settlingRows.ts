/**
 * Rows on their way to the database, by id, until their write settles. The gateway answers a
 * call before its row commits; feedback on that call waits on this instead of polling the
 * database (IngestWriter.whenSettled).
 */
export class SettlingRows {
  private byId = new Map<string, Promise<void>>();

  /** Follows the write of row `id` until it settles (committed or failed). */
  add(id: string, written: Promise<void>): void {
    const settled = written.then(
      () => {},
      () => {},
    );
    this.byId.set(id, settled);
    void settled.then(() => this.byId.delete(id));
  }

  /** Settles (never rejects) once row `id` is committed or has failed; undefined when it is not on its way. */
  get(id: string): Promise<void> | undefined {
    return this.byId.get(id);
  }
}
