import { Writable } from 'node:stream';

/** A log destination that keeps each line a server writes, for tests that read its log. */
export class LineCollector extends Writable {
  readonly lines: string[] = [];
  private partial = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.lines.push(...parts.filter((l) => l.length > 0));
    done();
  }
}
