// Style sheets imported as text (`with { type: "text" }`), for the page the server serves (page.ts).
declare module "*.css" {
  const text: string;
  export default text;
}
