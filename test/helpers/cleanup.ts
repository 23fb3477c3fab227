// What must be undone after every test (servers stopped, processes and tmux sessions killed),
// run by test/setup.ts, which bunfig.toml preloads. Helpers register here rather than calling
// afterEach themselves: a module is evaluated once per `bun test` run, so an afterEach at a
// helper's top level would only cover the first test file that imported it.

type Hook = () => unknown;
const hooks: { hook: Hook; late: boolean }[] = [];

/** `hook` runs after each test; `late` ones after the others (Redis outlives the nodes using it). */
export function afterEachTest(hook: Hook, late = false): void {
  hooks.push({ hook, late });
}

export async function runAfterEachTest(): Promise<void> {
  for (const late of [false, true]) {
    for (const h of hooks) if (h.late === late) await h.hook();
  }
}
