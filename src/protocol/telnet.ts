// The least of the telnet protocol (RFC 854) a line server must speak so that telnet users are
// not left deaf: commands are taken out of the byte stream, option requests are refused, and a
// TIMING-MARK is answered. telnet sends one after Ctrl-C (IAC IP, IAC DO TIMING-MARK) and shows
// nothing more until it is answered.

const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;
const IP = 244;
const BRK = 243;
const TIMING_MARK = 6;

export interface TelnetHandlers {
  /** The data, commands taken out, in order with the interrupts. */
  data(bytes: Uint8Array): void;
  /** Bytes to send back: answers to option requests. */
  answer(bytes: Uint8Array): void;
  /** The user pressed Ctrl-C (Interrupt Process) or Break: the line being typed goes. */
  interrupt(): void;
  /**
   * What to say about it: after the answer to the TIMING-MARK that follows an interrupt, since
   * telnet throws away everything it gets before that answer.
   */
  interrupted(): void;
}

/** normal · iac: after IAC · option: after IAC WILL/WONT/DO/DONT · sub: inside IAC SB … · subIac: IAC inside it. */
type State = "normal" | "iac" | "option" | "sub" | "subIac";

export class TelnetFilter {
  private state: State = "normal";
  /** The WILL/WONT/DO/DONT awaiting its option byte. */
  private verb = 0;
  /** An interrupt not told about yet (waiting for its TIMING-MARK), and one that waited a chunk already. */
  private untold = false;
  private deferred = false;

  constructor(private readonly handlers: TelnetHandlers) {}

  /** Passes on the data in `chunk`, telnet commands taken out ("IAC IAC" is one 255 byte). */
  push(chunk: Uint8Array): void {
    if (this.state === "normal" && !this.untold && !chunk.includes(IAC)) return this.handlers.data(chunk);
    const out = new Uint8Array(chunk.length);
    let n = 0;
    let from = 0; // data before an interrupt goes first: it is the line being interrupted
    let endedOnInterrupt = false;
    for (const byte of chunk) {
      endedOnInterrupt = false;
      switch (this.state) {
        case "normal":
          if (byte === IAC) this.state = "iac";
          else out[n++] = byte;
          break;
        case "iac":
          this.state = "normal";
          if (byte === IAC) out[n++] = IAC;
          else if (byte < SE) {
            // Not a telnet command (they are 240-255): a stray 255 in text that is not UTF-8, kept
            // as it came so that the line is refused as such.
            out[n++] = IAC;
            out[n++] = byte;
          } else if (byte >= WILL && byte <= DONT) [this.state, this.verb] = ["option", byte];
          else if (byte === SB) this.state = "sub";
          else if (byte === IP || byte === BRK) {
            if (n > from) this.handlers.data(out.subarray(from, n));
            from = n;
            this.handlers.interrupt();
            this.untold = endedOnInterrupt = true;
          }
          // NOP, DM, AO, AYT, EC, EL, GA: nothing to do for a line server.
          break;
        case "option":
          this.state = "normal";
          this.negotiate(this.verb, byte);
          break;
        case "sub":
          if (byte === IAC) this.state = "subIac";
          break;
        case "subIac":
          this.state = byte === SE ? "normal" : "sub";
          break;
      }
    }
    if (n > from) this.handlers.data(out.subarray(from, n));
    // No TIMING-MARK came with it (a client that sends none): told now; unless the chunk ended
    // with the interrupt or inside a command, when its TIMING-MARK is likely the next chunk's
    // (told at the end of that one at the latest).
    if (this.untold) {
      if (this.deferred || (this.state === "normal" && !endedOnInterrupt)) this.tell();
      else this.deferred = true;
    }
  }

  private tell(): void {
    this.untold = false;
    this.deferred = false;
    this.handlers.interrupted();
  }

  /** Everything is refused, but a TIMING-MARK is answered (that is all telnet waits for). */
  private negotiate(verb: number, option: number): void {
    if (verb === DO) {
      this.handlers.answer(new Uint8Array([IAC, option === TIMING_MARK ? WILL : WONT, option]));
      if (option === TIMING_MARK && this.untold) this.tell();
    }
    else if (verb === WILL) this.handlers.answer(new Uint8Array([IAC, DONT, option]));
    // WONT and DONT: the option is off, as we want it.
  }
}
