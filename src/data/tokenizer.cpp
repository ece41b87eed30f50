// The Tokenizer facade: tokenizer.json goes to HfTokenizer (hf_tokenizer.cpp); tokenizer.model
// alone goes to SentencePiece behind transformers' slow LlamaTokenizer: sp.Encode(text) under the model's own
// normalizer spec (LLaMA-2 keeps extra whitespace, llama2.c's stories260K collapses it), one BOS
// in front when asked, never an EOS (LlamaTokenizer add_eos_token=False).
//
// Why libsentencepiece is dlopen'ed instead of linked: Debian's libsentencepiece.so.0 carries its
// own copy of protobuf-lite 3.14 and exports those symbols, while LibTorch loads the system
// libprotobuf.so.32 (3.21). In one global symbol scope either libprotobuf's static initialisers
// bind to sentencepiece's copy (segfault at start-up) or sentencepiece binds to 3.21 (fatal
// version check on Load). RTLD_LOCAL keeps sentencepiece out of the global scope and
// RTLD_DEEPBIND makes it prefer its own protobuf, so both work in one process. Nothing here may
// reference a sentencepiece symbol at link time (the linker's --as-needed then drops the
// library from DT_NEEDED); every call goes through dlsym'ed entry points (Itanium C++ ABI: a
// member function is a function taking `this` first).
#include "prunekit/tokenizer.h"

#include <dlfcn.h>
#include <sentencepiece_processor.h>  // only for sizeof(SentencePieceProcessor)

#include <mutex>
#include <string_view>

#include <nlohmann/json.hpp>

#include "prunekit/common.h"
#include "prunekit/hf_tokenizer.h"

namespace prunekit {

namespace {

// Same ABI as sentencepiece::util::Status (one unique_ptr<Rep>, non-trivial destructor, so it
// is returned through a hidden pointer); ok() is rep == nullptr as in the header.
struct SpStatus {
  void* rep = nullptr;
  SpStatus() = default;
  SpStatus(const SpStatus&) = delete;
  ~SpStatus();
  bool ok() const { return rep == nullptr; }
  std::string message() const;
};
static_assert(sizeof(SpStatus) == sizeof(sentencepiece::util::Status), "Status layout changed");

// The entry points of libsentencepiece.so.0 (0.1.97) that the tokenizer uses.
struct SpApi {
  void (*ctor)(void*);
  void (*dtor)(void*);
  SpStatus (*load)(void*, std::string_view);
  SpStatus (*encode)(const void*, std::string_view, std::vector<int>*);
  SpStatus (*decode)(const void*, const std::vector<int>&, std::string*);
  const std::string& (*id_to_piece)(const void*, int);
  int (*piece_size)(const void*);
  int (*bos_id)(const void*);
  int (*eos_id)(const void*);
  void (*status_dtor)(void*);
  std::string (*status_to_string)(const void*);
};

template <class F>
void bind(void* lib, const char* symbol, F* fn) {
  void* p = ::dlsym(lib, symbol);
  if (!p) throw std::runtime_error(std::string("libsentencepiece: missing symbol ") + symbol);
  *fn = reinterpret_cast<F>(p);
}

// AddressSanitizer refuses RTLD_DEEPBIND (its interceptors would be bypassed: dlopen fails with
// "You are trying to dlopen a shared library with RTLD_DEEPBIND flag which is incompatible with
// sanitizer runtime"). The sanitizer build (scripts/test.sh --sanitize) is prunekit_parse alone,
// without LibTorch and so without its libprotobuf: nothing for sentencepiece's protobuf to clash with,
// and RTLD_LOCAL is enough. (An ASan build that also loads LibTorch would need the protobuf clash
// solved another way.)
#if defined(__SANITIZE_ADDRESS__)
#define PRUNEKIT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PRUNEKIT_ASAN 1
#endif
#endif
#ifdef PRUNEKIT_ASAN
constexpr int kSentencepieceDeepbind = 0;
#else
constexpr int kSentencepieceDeepbind = RTLD_DEEPBIND;
#endif

const SpApi& sp_api() {
  static SpApi api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = ::dlopen("libsentencepiece.so.0", RTLD_NOW | RTLD_LOCAL | kSentencepieceDeepbind);
    if (!lib) throw std::runtime_error(std::string("cannot load libsentencepiece.so.0: ") + ::dlerror());
    const std::string P = "_ZN13sentencepiece22SentencePieceProcessor";   // non-const members
    const std::string PK = "_ZNK13sentencepiece22SentencePieceProcessor";  // const members
    const std::string SV = "St17basic_string_viewIcSt11char_traitsIcEE";
    bind(lib, (P + "C1Ev").c_str(), &api.ctor);
    bind(lib, (P + "D1Ev").c_str(), &api.dtor);
    bind(lib, (P + "4LoadE" + SV).c_str(), &api.load);
    bind(lib, (PK + "6EncodeE" + SV + "PSt6vectorIiSaIiEE").c_str(), &api.encode);
    bind(lib, (PK + "6DecodeERKSt6vectorIiSaIiEEPNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE")
                  .c_str(),
         &api.decode);
    bind(lib, (PK + "9IdToPieceB5cxx11Ei").c_str(), &api.id_to_piece);
    bind(lib, (PK + "12GetPieceSizeEv").c_str(), &api.piece_size);
    bind(lib, (PK + "6bos_idEv").c_str(), &api.bos_id);
    bind(lib, (PK + "6eos_idEv").c_str(), &api.eos_id);
    bind(lib, "_ZN13sentencepiece4util6StatusD1Ev", &api.status_dtor);
    bind(lib, "_ZNK13sentencepiece4util6Status8ToStringB5cxx11Ev", &api.status_to_string);
  });
  return api;
}

SpStatus::~SpStatus() {
  if (rep) sp_api().status_dtor(this);
}
std::string SpStatus::message() const { return sp_api().status_to_string(this); }

// A SentencePieceProcessor constructed in place by the library's own constructor.
struct SpModel {
  alignas(alignof(sentencepiece::SentencePieceProcessor))
      unsigned char storage[sizeof(sentencepiece::SentencePieceProcessor)];
  const SpApi& api = sp_api();
  SpModel() { api.ctor(storage); }
  ~SpModel() { api.dtor(storage); }
  void* sp() { return storage; }
  const void* sp() const { return storage; }
};

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// tokenizer_config.json's bos_token / eos_token: a string, {"content": ...} or null.
std::string config_token(const nlohmann::json& cfg, const char* key) {
  if (!cfg.is_object() || !cfg.contains(key)) return "";
  const auto& v = cfg.at(key);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v.at("content").is_string()) return v.at("content").get<std::string>();
  return "";
}

}  // namespace

// Exactly one of sp / hf is set.
struct Tokenizer::Impl {
  std::unique_ptr<SpModel> sp;
  std::unique_ptr<HfTokenizer> hf;
  int hf_bos = -1, hf_eos = -1;
  bool clean_up_spaces = false;
};

Tokenizer::Tokenizer(const std::string& path) : impl_(std::make_unique<Impl>()) {
  // As AutoTokenizer: a directory's tokenizer.json wins over its tokenizer.model.
  std::string json_path, sp_path;
  if (dir_exists(path)) {
    if (file_exists(path + "/tokenizer.json")) json_path = path + "/tokenizer.json";
    else if (file_exists(path + "/tokenizer.model")) sp_path = path + "/tokenizer.model";
    else throw InputError(path + ": tokenizer.model missing (and no tokenizer.json)");
  } else if (!file_exists(path)) {
    throw InputError(path + (ends_with(path, ".json") ? ": tokenizer.json missing" : ": tokenizer.model missing"));
  } else if (ends_with(path, ".json")) {
    json_path = path;
  } else {
    sp_path = path;
  }

  if (!sp_path.empty()) {
    impl_->sp = std::make_unique<SpModel>();
    SpStatus st = impl_->sp->api.load(impl_->sp->sp(), sp_path);
    if (!st.ok()) throw InputError(sp_path + ": not a SentencePiece model (" + st.message() + ")");
    return;
  }
  impl_->hf = HfTokenizer::from_file(json_path);
  const HfTokenizer& hf = *impl_->hf;
  const std::string dir = json_path.substr(0, json_path.size() - std::string("tokenizer.json").size());
  const std::string cfg_path = dir + "tokenizer_config.json";
  nlohmann::json cfg;
  if (file_exists(cfg_path)) {
    try {
      cfg = nlohmann::json::parse(read_file(cfg_path));
    } catch (const nlohmann::json::exception& e) {
      throw InputError(cfg_path + ": not valid JSON (" + e.what() + ")");
    }
  }
  const std::string bos = config_token(cfg, "bos_token"), eos = config_token(cfg, "eos_token");
  impl_->hf_bos = bos.empty() ? -1 : hf.token_to_id(bos);
  if (impl_->hf_bos < 0 && !hf.prefix_ids().empty()) impl_->hf_bos = hf.prefix_ids().front();
  impl_->hf_eos = eos.empty() ? -1 : hf.token_to_id(eos);
  if (cfg.is_object() && cfg.contains("clean_up_tokenization_spaces") && cfg.at("clean_up_tokenization_spaces").is_boolean())
    impl_->clean_up_spaces = cfg.at("clean_up_tokenization_spaces").get<bool>();
}

Tokenizer::~Tokenizer() = default;

std::vector<int> Tokenizer::encode(const std::string& text, bool add_bos) const {
  if (impl_->hf) return impl_->hf->encode(text, add_bos);
  std::vector<int> ids;
  if (add_bos) ids.push_back(bos_id());
  std::vector<int> pieces;
  SpStatus st = impl_->sp->api.encode(impl_->sp->sp(), text, &pieces);
  if (!st.ok()) throw std::runtime_error("sentencepiece encode failed: " + st.message());
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  return ids;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  if (impl_->hf) {
    // As PreTrainedTokenizerFast.decode(ids, skip_special_tokens=True).
    const std::string text = impl_->hf->decode(ids, /*skip_special_tokens=*/true);
    return impl_->clean_up_spaces ? clean_up_tokenization(text) : text;
  }
  // As LlamaTokenizer.decode(skip_special_tokens=True): BOS/EOS never show up in the text.
  std::vector<int> kept;
  kept.reserve(ids.size());
  for (int id : ids) {
    if (id < 0 || id >= vocab_size())
      throw std::out_of_range("token id " + std::to_string(id) + " outside the vocabulary of " +
                              std::to_string(vocab_size()));
    if (id != bos_id() && id != eos_id()) kept.push_back(id);
  }
  std::string text;
  SpStatus st = impl_->sp->api.decode(impl_->sp->sp(), kept, &text);
  if (!st.ok()) throw std::runtime_error("sentencepiece decode failed: " + st.message());
  return text;
}

std::string Tokenizer::id_to_piece(int id) const {
  if (impl_->hf) return impl_->hf->id_to_token(id);
  if (id < 0 || id >= vocab_size())
    throw std::out_of_range("token id " + std::to_string(id) + " outside the vocabulary");
  return impl_->sp->api.id_to_piece(impl_->sp->sp(), id);
}

int Tokenizer::bos_id() const { return impl_->hf ? impl_->hf_bos : impl_->sp->api.bos_id(impl_->sp->sp()); }
int Tokenizer::eos_id() const { return impl_->hf ? impl_->hf_eos : impl_->sp->api.eos_id(impl_->sp->sp()); }
int Tokenizer::vocab_size() const {
  return impl_->hf ? impl_->hf->vocab_size() : impl_->sp->api.piece_size(impl_->sp->sp());
}
std::string Tokenizer::kind() const { return impl_->hf ? impl_->hf->describe() : "sentencepiece"; }

}  // namespace prunekit
