// Everything the server tells a client. Each event is encoded once per mode (see codec.ts).

export type Mode = "text" | "json";

/** quit: said goodbye · disconnected: the connection closed · too-slow: stopped reading, dropped. */
export type LeaveReason = "quit" | "disconnected" | "too-slow";

export type ErrorCode =
  | "name-invalid" // the username breaks a rule; choose another
  | "name-taken" // someone online already has that name (ignoring case)
  | "not-registered" // a command before choosing a name
  | "line-too-long" // an input line over the limit; it was dropped
  | "unknown-command"
  | "bad-usage" // a command without what it needs
  | "unknown-user" // /pm to someone not online
  | "bad-hello" // a structured hello the server can't accept
  | "registration-timeout" // no name chosen in time; the connection closes
  | "server-full" // --max-clients reached; the connection closes
  | "too-many-connections"; // --max-per-ip reached for this address; the connection closes

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
export type ErrorEvent = Extract<ServerEvent, { type: "error" }>;

/** The first line a structured client sends, to choose JSON mode. */
export interface ClientHello {
  type: "hello";
  proto: number;
  client?: string;
}
