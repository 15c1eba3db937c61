// The text a resource is found by with _text and _content: what a person reads in it, not its
// codes, identifiers and links.
#pragma once

#include <string>

#include "json/value.h"

namespace kangyun::search {

// The most text kept for one resource and parameter: a long narrative is found by what it says
// first, and one resource cannot fill the index.
inline constexpr size_t kMaxIndexedText = 32 * 1024;

// The narrative (text.div) without its XHTML markup, character references decoded.
std::string NarrativeText(const json::Value& resource);

// Every string of the resource that people write or read: names, addresses, displays, notes,
// the narrative's text. Ids, references, URIs, systems, versions, attachments' data, meta and
// contained resources' ids are left out. Pieces are separated by a line break, so that a
// word never spans two of them. `narrative` is NarrativeText(resource), which it begins with
// (taken, not made again: a write needs both).
std::string ContentText(const json::Value& resource, std::string narrative);

}  // namespace kangyun::search
