import { describe, expect, test } from "bun:test";
import { TelnetFilter } from "../../src/protocol/telnet.ts";

const IAC = 255;

/** Runs chunks through a filter: the data that comes out, the answers, and the interrupts. */
function run(...chunks: number[][]) {
  const answers: (number | string)[][] = [];
  const data: number[] = [];
  let interrupts = 0;
  const filter = new TelnetFilter({
    data: (b) => void data.push(...b),
    answer: (b) => void answers.push([...b]),
    interrupt: () => void (interrupts++, data.push(0x7c)), // "|" marks where, in the data, it came
    interrupted: () => void answers.push(["told"]), // where, among the answers, the user is told
  });
  for (const c of chunks) filter.push(new Uint8Array(c));
  return { data: String.fromCharCode(...data), answers, interrupts };
}
const bytes = (text: string) => [...new TextEncoder().encode(text)];

describe("TelnetFilter", () => {
  test("text without a 255 byte passes as it is", () => {
    expect(run(bytes("héllo\r\n"))).toEqual({ data: "hÃ©llo\r\n", answers: [], interrupts: 0 });
  });

  test("Ctrl-C: IAC IP is an interrupt, IAC DO TIMING-MARK is answered WILL, and the stream goes on", () => {
    expect(run([...bytes("ab"), IAC, 244, IAC, 253, 6, ...bytes("cd\n")])).toEqual({
      data: "ab|cd\n",
      answers: [[IAC, 251, 6], ["told"]], // told after the answer: telnet drops what comes before it
      interrupts: 1,
    });
  });

  test("an interrupt with no TIMING-MARK is told at the end of its chunk, or of the next when it ended the chunk", () => {
    expect(run([...bytes("ab"), IAC, 244, ...bytes("c")]).answers).toEqual([["told"]]);
    expect(run([IAC, 244], [IAC, 253, 6]).answers).toEqual([[IAC, 251, 6], ["told"]]);
    expect(run([IAC, 244], bytes("x")).answers).toEqual([["told"]]);
  });

  test("Break is an interrupt too", () => {
    expect(run([IAC, 243], []).interrupts).toBe(1);
  });

  test("options are refused: DO gets WONT, WILL gets DONT; WONT and DONT get nothing", () => {
    expect(run([IAC, 253, 1, IAC, 251, 31, IAC, 252, 3, IAC, 254, 24]).answers).toEqual([
      [IAC, 252, 1],
      [IAC, 254, 31],
    ]);
  });

  test("a 255 before a byte that is no telnet command is data, kept as it came", () => {
    expect(run([97, IAC, 98, 10]).data).toBe("a\u00ffb\n");
  });

  test("IAC IAC is one 255 byte", () => {
    expect(run([97, IAC, IAC, 98]).data).toBe("a\u00ffb");
  });

  test("subnegotiation is skipped whole, with IAC IAC inside it", () => {
    expect(run([97, IAC, 250, 24, 0, IAC, IAC, 120, IAC, 240, 98]).data).toBe("ab");
  });

  test("a command split across chunks at every point is still understood", () => {
    const stream = [...bytes("x"), IAC, 244, IAC, 253, 6, IAC, 250, 1, 2, IAC, 240, ...bytes("y\n")];
    for (let cut = 1; cut < stream.length; cut++) {
      expect(run(stream.slice(0, cut), stream.slice(cut))).toEqual({
        data: "x|y\n",
        answers: [[IAC, 251, 6], ["told"]],
        interrupts: 1,
      });
    }
  });

  test("other commands (NOP, AYT, GA, …) are dropped", () => {
    expect(run([97, IAC, 241, IAC, 246, IAC, 249, 98]).data).toBe("ab");
  });
});
