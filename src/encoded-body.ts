/**
 * A request body that is not a string or bytes (form data, a Blob) as bytes and the content type it
 * goes with, encoded by the global Response, which writes a form's boundary. npm undici's `request`
 * takes bytes, and its own fetch does not recognise Node's global FormData (it would send it as text).
 */
export async function encodedBody(body: NonNullable<RequestInit['body']>): Promise<{ bytes: Buffer; contentType: string | null }> {
  const encoding = new Response(body);
  return { bytes: Buffer.from(await encoding.arrayBuffer()), contentType: encoding.headers.get('content-type') };
}
