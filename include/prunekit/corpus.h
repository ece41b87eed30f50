// Text corpora: JSON lines (field "text"; gzip detected by magic bytes) and plain text.
#pragma once
#include <string>
#include <vector>

namespace prunekit {

// How a plain-text file is cut into documents for calibration.
enum class DocMode { File, Paragraphs, Lines };
DocMode doc_mode_from_name(const std::string& s);  // "file" | "paragraphs" | "lines"

// Read a file's bytes, gunzipping when it starts with the gzip magic. InputError if missing.
std::string read_maybe_gzip(const std::string& path);
// The bytes as they are, or gunzipped when they start with the gzip magic (InputError naming
// `origin` for corrupt or truncated gzip data).
std::string maybe_gunzip(std::string bytes, const std::string& origin);
// True when the file looks like JSON lines (first non-blank char is '{').
bool looks_like_jsonl(const std::string& content);

// Documents for calibration: JSON lines -> each record's "text" in file order (records without
// a string "text" are an InputError naming the line); plain text -> cut by `mode`
// (Paragraphs: split on blank lines, Lines: each non-empty line). Empty result is an InputError.
std::vector<std::string> read_documents(const std::string& path, DocMode mode = DocMode::File);

// The evaluation text: plain text verbatim; JSON lines -> the "text" fields joined with "\n\n".
// Empty is an InputError.
std::string read_eval_text(const std::string& path);

// What read_documents / read_eval_text do after reading the file, on its bytes (gzip detected the
// same way); `origin` names the source in errors. The fuzz targets drive these directly.
std::vector<std::string> documents_from_bytes(std::string bytes, const std::string& origin,
                                              DocMode mode = DocMode::File);
std::string eval_text_from_bytes(std::string bytes, const std::string& origin);

}  // namespace prunekit
