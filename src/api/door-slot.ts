/** A listener that can be opened, moved to another address and closed: the HTTP API, a gateway. */
export interface MovableDoor {
  /** http://HOST:PORT where it listens now. */
  readonly url: string
  start(): Promise<unknown>
  /** Listens on HOST:PORT instead; throws, still listening where it was, when it cannot. */
  moveTo(listen: string): Promise<unknown>
  stop(): Promise<void>
}

/**
 * One door as the config has it: open on its address, or off. A config reload moves it (the new listener
 * opens before the old one closes), opens it, or closes it; a move that fails keeps the old address and is
 * remembered, for `meshnode status`, until a later reload settles it.
 */
export class DoorSlot {
  /** What the user calls it: "the HTTP API", "the OctoPrint gateway". */
  readonly label: string
  private readonly make: (listen: string) => MovableDoor | Promise<MovableDoor>
  private listen?: string
  private opened?: MovableDoor
  /** Why the last reload could not put it where the config says; undefined when it is there. */
  failure?: string

  constructor (label: string, make: (listen: string) => MovableDoor | Promise<MovableDoor>, listen?: string) {
    this.label = label
    this.make = make
    this.listen = listen
  }

  get door (): MovableDoor | undefined {
    return this.opened
  }

  /** At start: a door that cannot open stops the start. */
  async open (): Promise<void> {
    if (this.listen == null) return
    const door = await this.make(this.listen)
    await door.start()
    this.opened = door
  }

  /** Puts the door where `listen` says (undefined: closed). Never throws: a failure is kept and returned. */
  async follow (listen: string | undefined): Promise<string | undefined> {
    this.failure = undefined
    if (listen === this.listen) return
    try {
      if (listen == null) {
        await this.close()
      } else if (this.opened == null) {
        const door = await this.make(listen)
        await door.start()
        this.opened = door
      } else {
        await this.opened.moveTo(listen)
      }
      this.listen = listen
    } catch (err: any) {
      const where = this.opened == null ? 'stays off' : `stays on ${this.opened.url}`
      this.failure = `${this.label} ${where}: ${String(err.message)}`
    }
    return this.failure
  }

  async close (): Promise<void> {
    const door = this.opened
    this.opened = undefined
    await door?.stop()
  }
}
