// Everything the server tells a client. Each event is encoded once per mode (see codec.ts).

export type Mode = "text" | "json";

export type LeaveReason = "quit" | "disconnected";

export type ErrorCode =
  | "name-invalid" // the username breaks a rule; choose another
  | "name-taken" // someone online already has that name (ignoring case)
  | "not-registered" // a command before choosing a name
  | "line-too-long" // an input line over the limit; it was dropped
  | "unknown-command"
  | "bad-usage" // a command without what it needs
  | "unknown-user" // /pm to someone not online
  | "bad-hello"; // a structured hello the server can't accept

export type ServerEvent =
  | { type: "hello"; server: string; proto: number; maxLineBytes: number; nameMaxLength: number }
  | { type: "ask-name" }
  | { type: "welcome"; name: string; users: string[] }
  | { type: "public"; from: string; text: string; ts: number }
  | { type: "private"; from: string; text: string; ts: number }
  | { type: "private-sent"; to: string; text: string; ts: number }
  | { type: "join"; name: string; ts: number }
  | { type: "leave"; name: string; reason: LeaveReason; ts: number }
  | { type: "users"; users: string[] }
  | { type: "help" }
  | { type: "pong"; token: string }
  | { type: "error"; code: ErrorCode; message: string }
  | { type: "bye"; name: string } // name is "" when leaving before choosing one
  | { type: "shutdown" };

export type EventType = ServerEvent["type"];

/** The first line a structured client sends, to choose JSON mode. */
export interface ClientHello {
  type: "hello";
  proto: number;
  client?: string;
}
