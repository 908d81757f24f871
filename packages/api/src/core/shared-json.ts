/**
 * A value that is serialised once, however many subscribers receive it: the server's WebSocket
 * encoder splices `json` into each message instead of stringifying the value per socket. Anything
 * else that serialises it (SSE, `JSON.stringify`) gets the plain value through `toJSON`, and the
 * client's type is the value's.
 */
export class SharedJson<T> {
  #json: string | undefined;

  constructor(readonly value: T) {}

  get json(): string {
    return (this.#json ??= JSON.stringify(this.value));
  }

  toJSON(): T {
    return this.value;
  }
}
