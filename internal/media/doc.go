// Package media decides what an uploaded file is and makes a clean copy of it.
//
// The policy, in one place:
//
//   - The kind of a file comes from its bytes (Sniff, Detect); the client's declared type
//     and file name are only checked against it, never believed. A claim that disagrees
//     with the bytes is refused with ErrMismatch.
//   - Markup a browser could render as a document (HTML, SVG, any XML, which can pull in
//     XSLT) is refused at upload, never stored as a download: refusing means no later
//     serving mistake (a wrong Content-Type, a bucket or proxy that sniffs) can turn a
//     stored file into script running on the company's domain, and nobody can use the
//     hive to hand colleagues a phishing page. Unknown binary formats are refused too:
//     the issue lists what may be posted, and "unsupported" is a clearer answer than a
//     download nobody can open.
//   - Kind.Inline reports the kinds the server may ever serve inline. They are raster
//     images, video and audio, and only in the form this package wrote: CleanImage
//     re-encodes images from their pixels, CleanMP4, CleanWebM and CleanAudio remove
//     user metadata from the container. Every other kind is served as an attachment.
//   - Every reader is bounded: input stops at its limit plus one byte (ErrTooLarge),
//     images are refused by their declared dimensions before any pixel is decoded
//     (ErrDimensions), container walks refuse absurd sizes and depths (ErrCorrupt).
//
// An upload goes: ReadHead, then Detect on the head with the client's type and file
// name, then Limits.For the kind to bound Copy into a temporary file (or ReadAll), then
// the cleaner for the family (ImageOptions.Clean, CleanMP4 or CleanWebM, CleanAudio);
// files are stored as received. Only the cleaner's output is stored, and only once it
// returned without error, so nothing half-written is ever kept. MessageKey maps every
// error to the message to show.
package media
