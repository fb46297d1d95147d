//! Turns printpdf's output into an archival PDF/A-3b document (ISO 19005-3,
//! conformance B): PDF 1.7, XMP metadata identifying PDF/A-3B and matching
//! the document information dictionary, an sRGB output intent, embedded
//! files attached to the document as associated files (`/AF`), a document
//! identifier derived from the record, and no encryption. printpdf's own
//! PDF/A support is nominal (no XMP, a CMYK PDF/X intent), so this is done
//! here with lopdf.

use chrono::{DateTime, SecondsFormat, Utc};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat};

use super::icc;

/// The document's identity: written to both the information dictionary and
/// the XMP metadata (PDF/A requires them to agree).
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    /// The title (`dc:title`, `/Title`).
    pub title: &'a str,
    /// The author (`dc:creator`, `/Author`).
    pub author: &'a str,
    /// The subject (`dc:description`, `/Subject`).
    pub subject: &'a str,
    /// The software that made the content (`xmp:CreatorTool`, `/Creator`).
    pub creator: &'a str,
    /// The software that wrote the PDF (`pdf:Producer`, `/Producer`).
    pub producer: &'a str,
    /// Creation and modification time: the record's own time, so the same
    /// record always gives the same bytes.
    pub date: DateTime<Utc>,
    /// The document identifier (`/ID`), derived from the record's hash.
    pub document_id: Vec<u8>,
}

/// A file carried inside the PDF as an associated file.
#[derive(Debug, Clone)]
pub struct Attachment<'a> {
    /// The file name, e.g. `record.json`.
    pub name: &'a str,
    /// Its MIME type.
    pub mime: &'a str,
    /// What it is, for a reader's attachment panel.
    pub description: &'a str,
    /// Its relationship to the document (`Data`, `Source`, `Supplement`…).
    pub relationship: &'a str,
    /// Its bytes, stored exactly.
    pub bytes: &'a [u8],
    /// The same bytes already deflated (zlib), when the caller compressed
    /// them ahead, e.g. on another core while the pages were laid out.
    pub deflated: Option<&'a [u8]>,
}

fn text_string(s: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    for unit in s.encode_utf16() {
        bytes.extend(unit.to_be_bytes());
    }
    Object::String(bytes, StringFormat::Hexadecimal)
}

fn pdf_date(t: DateTime<Utc>) -> Object {
    Object::string_literal(t.format("D:%Y%m%d%H%M%S+00'00'").to_string())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The XMP packet: PDF/A identification and the same metadata as the
/// information dictionary.
pub fn xmp(identity: &Identity<'_>) -> String {
    let date = identity
        .date
        .to_rfc3339_opts(SecondsFormat::Secs, true)
        .replace('Z', "+00:00");
    format!(
        concat!(
            "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n",
            "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n",
            " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n",
            "  <rdf:Description rdf:about=\"\"\n",
            "    xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"\n",
            "    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n",
            "    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"\n",
            "    xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\">\n",
            "   <pdfaid:part>3</pdfaid:part>\n",
            "   <pdfaid:conformance>B</pdfaid:conformance>\n",
            "   <dc:format>application/pdf</dc:format>\n",
            "   <dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{title}</rdf:li></rdf:Alt></dc:title>\n",
            "   <dc:creator><rdf:Seq><rdf:li>{author}</rdf:li></rdf:Seq></dc:creator>\n",
            "   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{subject}</rdf:li></rdf:Alt></dc:description>\n",
            "   <xmp:CreatorTool>{creator}</xmp:CreatorTool>\n",
            "   <xmp:CreateDate>{date}</xmp:CreateDate>\n",
            "   <xmp:ModifyDate>{date}</xmp:ModifyDate>\n",
            "   <xmp:MetadataDate>{date}</xmp:MetadataDate>\n",
            "   <pdf:Producer>{producer}</pdf:Producer>\n",
            "  </rdf:Description>\n",
            " </rdf:RDF>\n",
            "</x:xmpmeta>\n",
            "<?xpacket end=\"w\"?>"
        ),
        title = xml_escape(identity.title),
        author = xml_escape(identity.author),
        subject = xml_escape(identity.subject),
        creator = xml_escape(identity.creator),
        producer = xml_escape(identity.producer),
        date = date,
    )
}

/// Deflates (zlib, default level) bytes to embed; the renderer runs it on
/// another core while printpdf serializes the pages.
pub fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
}

fn compressed_stream(mut dict: Dictionary, bytes: &[u8]) -> Stream {
    match deflate(bytes) {
        Some(z) => {
            dict.set("Filter", "FlateDecode");
            Stream::new(dict, z).with_compression(false)
        }
        None => Stream::new(dict, bytes.to_vec()).with_compression(false),
    }
}

fn remove_referenced(doc: &mut Document, object: Option<Object>) {
    if let Some(Object::Reference(id)) = object {
        doc.objects.remove(&id);
    }
}

fn attach(doc: &mut Document, file: &Attachment<'_>, date: DateTime<Utc>) -> ObjectId {
    let size = i64::try_from(file.bytes.len()).unwrap_or(i64::MAX);
    let mut params = Dictionary::new();
    params.set("Size", size);
    params.set("ModDate", pdf_date(date));
    let mut dict = Dictionary::new();
    dict.set("Type", "EmbeddedFile");
    dict.set("Subtype", Object::Name(file.mime.as_bytes().to_vec()));
    dict.set("Params", params);
    let stream = match file.deflated {
        Some(z) => {
            dict.set("Filter", "FlateDecode");
            doc.add_object(Stream::new(dict, z.to_vec()).with_compression(false))
        }
        None => doc.add_object(compressed_stream(dict, file.bytes)),
    };
    let mut ef = Dictionary::new();
    ef.set("F", stream);
    ef.set("UF", stream);
    let mut spec = Dictionary::new();
    spec.set("Type", "Filespec");
    spec.set("F", Object::string_literal(file.name));
    spec.set("UF", text_string(file.name));
    spec.set("Desc", text_string(file.description));
    spec.set("AFRelationship", file.relationship);
    spec.set("EF", ef);
    doc.add_object(spec)
}

/// Makes `doc` an archival PDF/A-3b carrying `attachments`.
pub fn make_archival(
    doc: &mut Document,
    identity: &Identity<'_>,
    attachments: &[Attachment<'_>],
) -> Result<(), String> {
    doc.version = "1.7".into();
    doc.trailer.remove(b"Encrypt");
    let old_info = doc.trailer.remove(b"Info");
    remove_referenced(doc, old_info);

    let mut info = Dictionary::new();
    info.set("Title", text_string(identity.title));
    info.set("Author", text_string(identity.author));
    info.set("Subject", text_string(identity.subject));
    info.set("Creator", text_string(identity.creator));
    info.set("Producer", text_string(identity.producer));
    info.set("CreationDate", pdf_date(identity.date));
    info.set("ModDate", pdf_date(identity.date));
    let info = doc.add_object(info);
    doc.trailer.set("Info", info);
    let id = Object::String(identity.document_id.clone(), StringFormat::Hexadecimal);
    doc.trailer.set("ID", vec![id.clone(), id]);

    let mut metadata = Dictionary::new();
    metadata.set("Type", "Metadata");
    metadata.set("Subtype", "XML");
    // PDF/A: the metadata stream is not filtered, so any tool can read it.
    let metadata =
        doc.add_object(Stream::new(metadata, xmp(identity).into_bytes()).with_compression(false));

    let mut icc_dict = Dictionary::new();
    icc_dict.set("N", 3);
    icc_dict.set("Alternate", "DeviceRGB");
    let profile = doc.add_object(compressed_stream(icc_dict, &icc::srgb_profile()));
    let mut intent = Dictionary::new();
    intent.set("Type", "OutputIntent");
    intent.set("S", "GTS_PDFA1");
    intent.set(
        "OutputConditionIdentifier",
        Object::string_literal(icc::DESCRIPTION),
    );
    intent.set("Info", Object::string_literal(icc::DESCRIPTION));
    intent.set("DestOutputProfile", profile);
    let intent = doc.add_object(intent);

    let mut files: Vec<(&str, ObjectId)> = attachments
        .iter()
        .map(|a| (a.name, attach(doc, a, identity.date)))
        .collect();
    files.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));

    let catalog = doc
        .catalog_mut()
        .map_err(|e| format!("the rendered PDF has no catalog: {e}"))?;
    let old_intents = catalog.remove(b"OutputIntents");
    let old_metadata = catalog.remove(b"Metadata");
    catalog.set("Metadata", metadata);
    catalog.set("OutputIntents", vec![Object::Reference(intent)]);
    if !files.is_empty() {
        let mut names = Vec::new();
        for (name, spec) in &files {
            names.push(Object::string_literal(*name));
            names.push(Object::Reference(*spec));
        }
        let mut tree = Dictionary::new();
        tree.set("Names", names);
        let mut name_dict = Dictionary::new();
        name_dict.set("EmbeddedFiles", tree);
        catalog.set("Names", name_dict);
        catalog.set(
            "AF",
            files
                .iter()
                .map(|(_, spec)| Object::Reference(*spec))
                .collect::<Vec<_>>(),
        );
    }
    // Drop printpdf's intent and metadata (PDF/X, CMYK) if it wrote them.
    if let Some(Object::Array(items)) = old_intents {
        for item in items {
            remove_referenced(doc, Some(item));
        }
    }
    remove_referenced(doc, old_metadata);
    Ok(())
}
