// Recursive-descent parser for FHIRPath, following the grammar's operator precedence.
#include <cerrno>
#include <cstdlib>

#include "fhir/fhirpath/ast.h"
#include "fhir/fhirpath/lexer.h"

namespace kangyun::fhir::fhirpath {
namespace {

constexpr int kMaxDepth = 200;

bool IsCalendarUnit(const std::string& s) {
  static const char* kUnits[] = {
      "year", "years", "month",  "months",  "week",   "weeks",   "day",         "days",
      "hour", "hours", "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};
  for (const char* u : kUnits)
    if (s == u) return true;
  return false;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  Result<std::unique_ptr<Node>> ParseAll() {
    auto e = Expr(0);
    if (!e) return error_;
    if (Peek().kind != Token::Kind::kEnd) return Fail("unexpected '" + Peek().text + "'");
    return e;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    size_t i = std::min(pos_ + ahead, t_.size() - 1);
    return t_[i];
  }
  bool IsSymbol(const char* s) const {
    return Peek().kind == Token::Kind::kSymbol && Peek().text == s;
  }
  bool IsWord(const char* s) const {
    return Peek().kind == Token::Kind::kIdentifier && Peek().text == s;
  }
  Status Fail(const std::string& msg) {
    error_ = Invalid("FHIRPath syntax error at position " + std::to_string(Peek().position) + ": " +
                     msg);
    return error_;
  }
  std::unique_ptr<Node> FailN(const std::string& msg) {
    Fail(msg);
    return nullptr;
  }

  static std::unique_ptr<Node> MakeBinary(std::string op, std::unique_ptr<Node> l,
                                          std::unique_ptr<Node> r, int pos) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::kBinary;
    n->name = std::move(op);
    n->position = pos;
    n->children.push_back(std::move(l));
    n->children.push_back(std::move(r));
    return n;
  }

  // Precedence levels, lowest first.
  enum Level {
    kImplies,
    kOr,
    kAnd,
    kMembership,
    kEquality,
    kInequality,
    kUnion,
    kType,
    kAdditive,
    kMultiplicative,
    kUnaryLevel
  };

  std::unique_ptr<Node> Expr(int level) {
    if (++depth_ > kMaxDepth) return FailN("expression nested too deep");
    auto result = ExprAt(level);
    --depth_;
    return result;
  }

  std::unique_ptr<Node> ExprAt(int level) {
    if (level == kUnaryLevel) return Unary();
    auto left = Expr(level + 1);
    if (!left) return nullptr;
    while (true) {
      std::string op;
      const Token& tok = Peek();
      bool sym = tok.kind == Token::Kind::kSymbol, word = tok.kind == Token::Kind::kIdentifier;
      switch (level) {
        case kImplies:
          if (word && tok.text == "implies") op = tok.text;
          break;
        case kOr:
          if (word && (tok.text == "or" || tok.text == "xor")) op = tok.text;
          break;
        case kAnd:
          if (word && tok.text == "and") op = tok.text;
          break;
        case kMembership:
          if (word && (tok.text == "in" || tok.text == "contains")) op = tok.text;
          break;
        case kEquality:
          if (sym && (tok.text == "=" || tok.text == "~" || tok.text == "!=" || tok.text == "!~"))
            op = tok.text;
          break;
        case kInequality:
          if (sym && (tok.text == "<" || tok.text == ">" || tok.text == "<=" || tok.text == ">="))
            op = tok.text;
          break;
        case kUnion:
          if (sym && tok.text == "|") op = tok.text;
          break;
        case kType:
          if (word && (tok.text == "is" || tok.text == "as")) {
            int pos = tok.position;
            std::string which = tok.text;
            ++pos_;
            std::string type_name;
            if (!TypeSpecifier(&type_name)) return nullptr;
            auto n = std::make_unique<Node>();
            n->kind = Node::Kind::kTypeOp;
            n->name = which + ":" + type_name;
            n->position = pos;
            n->children.push_back(std::move(left));
            left = std::move(n);
            continue;
          }
          break;
        case kAdditive:
          if (sym && (tok.text == "+" || tok.text == "-" || tok.text == "&")) op = tok.text;
          break;
        case kMultiplicative:
          if ((sym && (tok.text == "*" || tok.text == "/")) ||
              (word && (tok.text == "div" || tok.text == "mod")))
            op = tok.text;
          break;
      }
      if (op.empty()) return left;
      int pos = tok.position;
      ++pos_;
      auto right = Expr(level + 1);
      if (!right) return nullptr;
      left = MakeBinary(op, std::move(left), std::move(right), pos);
    }
  }

  bool TypeSpecifier(std::string* out) {
    std::string name;
    while (true) {
      const Token& tok = Peek();
      if (tok.kind != Token::Kind::kIdentifier && tok.kind != Token::Kind::kDelimitedIdentifier) {
        Fail("expected a type name");
        return false;
      }
      name += tok.text;
      ++pos_;
      if (IsSymbol(".") && (Peek(1).kind == Token::Kind::kIdentifier ||
                            Peek(1).kind == Token::Kind::kDelimitedIdentifier)) {
        ++pos_;
        name += ".";
        continue;
      }
      break;
    }
    *out = name;
    return true;
  }

  std::unique_ptr<Node> Unary() {
    if (IsSymbol("+") || IsSymbol("-")) {
      std::string op = Peek().text;
      int pos = Peek().position;
      ++pos_;
      auto operand = Expr(kUnaryLevel);
      if (!operand) return nullptr;
      auto n = std::make_unique<Node>();
      n->kind = Node::Kind::kUnary;
      n->name = op;
      n->position = pos;
      n->children.push_back(std::move(operand));
      return n;
    }
    return Postfix();
  }

  std::unique_ptr<Node> Postfix() {
    auto node = Term();
    if (!node) return nullptr;
    while (true) {
      if (IsSymbol(".")) {
        int pos = Peek().position;
        ++pos_;
        auto member = Invocation();
        if (!member) return nullptr;
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::kInvoke;
        n->position = pos;
        n->children.push_back(std::move(node));
        n->children.push_back(std::move(member));
        node = std::move(n);
      } else if (IsSymbol("[")) {
        int pos = Peek().position;
        ++pos_;
        auto index = Expr(0);
        if (!index) return nullptr;
        if (!IsSymbol("]")) return FailN("expected ']'");
        ++pos_;
        auto n = std::make_unique<Node>();
        n->kind = Node::Kind::kIndexer;
        n->position = pos;
        n->children.push_back(std::move(node));
        n->children.push_back(std::move(index));
        node = std::move(n);
      } else {
        return node;
      }
    }
  }

  // identifier | function call | $this | $index | $total
  std::unique_ptr<Node> Invocation() {
    const Token& tok = Peek();
    auto n = std::make_unique<Node>();
    n->position = tok.position;
    if (tok.kind == Token::Kind::kSymbol && tok.text == "$") {
      ++pos_;
      if (!(Peek().kind == Token::Kind::kIdentifier))
        return FailN("expected this, index or total after '$'");
      std::string w = Peek().text;
      ++pos_;
      if (w == "this")
        n->kind = Node::Kind::kThis;
      else if (w == "index")
        n->kind = Node::Kind::kIndex;
      else if (w == "total")
        n->kind = Node::Kind::kTotal;
      else
        return FailN("unknown $" + w);
      return n;
    }
    if (tok.kind != Token::Kind::kIdentifier && tok.kind != Token::Kind::kDelimitedIdentifier)
      return FailN(tok.kind == Token::Kind::kEnd ? "unexpected end of expression"
                                                 : "expected a name, found '" + tok.text + "'");
    n->name = tok.text;
    ++pos_;
    if (tok.kind == Token::Kind::kIdentifier && IsSymbol("(")) {
      ++pos_;
      n->kind = Node::Kind::kFunction;
      if (!IsSymbol(")")) {
        while (true) {
          auto arg = Expr(0);
          if (!arg) return nullptr;
          n->children.push_back(std::move(arg));
          if (IsSymbol(",")) {
            ++pos_;
            continue;
          }
          break;
        }
      }
      if (!IsSymbol(")")) return FailN("expected ')' to close " + n->name + "(");
      ++pos_;
      return n;
    }
    n->kind = Node::Kind::kIdentifier;
    return n;
  }

  std::unique_ptr<Node> Term() {
    const Token& tok = Peek();
    auto n = std::make_unique<Node>();
    n->position = tok.position;
    switch (tok.kind) {
      case Token::Kind::kString:
        n->kind = Node::Kind::kLiteral;
        n->literal = Item::String(tok.text);
        ++pos_;
        return n;
      case Token::Kind::kNumber: {
        std::string num = tok.text;
        ++pos_;
        // A quantity: number followed by a unit string or a calendar duration word.
        if (Peek().kind == Token::Kind::kString ||
            (Peek().kind == Token::Kind::kIdentifier && IsCalendarUnit(Peek().text))) {
          Item q;
          q.kind = Item::Kind::kQuantity;
          q.quantity.value = std::strtod(num.c_str(), nullptr);
          q.quantity.value_text = num;
          q.quantity.unit = Peek().text;
          ++pos_;
          n->kind = Node::Kind::kLiteral;
          n->literal = q;
          return n;
        }
        n->kind = Node::Kind::kLiteral;
        if (num.find('.') == std::string::npos) {
          errno = 0;
          long long v = std::strtoll(num.c_str(), nullptr, 10);
          if (errno == ERANGE) return FailN("integer literal out of range");
          n->literal = Item::Integer(v);
        } else {
          n->literal = Item::Decimal(std::strtod(num.c_str(), nullptr), num);
        }
        return n;
      }
      case Token::Kind::kDate: {
        std::string text = tok.text;
        auto dt = ParseDateTime(EndsWith(text, "T") ? text.substr(0, text.size() - 1) : text, true);
        if (!dt) return FailN("invalid date/time literal @" + text);
        ++pos_;
        Item item;
        bool has_time = text.find('T') != std::string::npos;
        item.kind = has_time ? Item::Kind::kDateTime : Item::Kind::kDate;
        item.datetime = *dt;
        n->kind = Node::Kind::kLiteral;
        n->literal = item;
        return n;
      }
      case Token::Kind::kTime: {
        auto t = ParseTime(std::string_view(tok.text).substr(1));
        if (!t) return FailN("invalid time literal @" + tok.text);
        ++pos_;
        Item item;
        item.kind = Item::Kind::kTime;
        item.time = *t;
        n->kind = Node::Kind::kLiteral;
        n->literal = item;
        return n;
      }
      case Token::Kind::kVariable:
        n->kind = Node::Kind::kVariable;
        n->name = tok.text;
        ++pos_;
        return n;
      case Token::Kind::kSymbol:
        if (tok.text == "(") {
          ++pos_;
          auto inner = Expr(0);
          if (!inner) return nullptr;
          if (!IsSymbol(")")) return FailN("expected ')'");
          ++pos_;
          return inner;
        }
        if (tok.text == "{") {
          ++pos_;
          if (!IsSymbol("}")) return FailN("expected '}'");
          ++pos_;
          n->kind = Node::Kind::kEmpty;
          return n;
        }
        if (tok.text == "$") return Invocation();
        return FailN("unexpected '" + tok.text + "'");
      case Token::Kind::kIdentifier:
        if (tok.text == "true" || tok.text == "false") {
          n->kind = Node::Kind::kLiteral;
          n->literal = Item::Boolean(tok.text == "true");
          ++pos_;
          return n;
        }
        return Invocation();
      case Token::Kind::kDelimitedIdentifier:
        return Invocation();
      case Token::Kind::kEnd:
        return FailN("unexpected end of expression");
    }
    return FailN("unexpected token");
  }

  static bool EndsWith(const std::string& s, const char* suffix) {
    size_t n = std::char_traits<char>::length(suffix);
    return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  int depth_ = 0;
  Status error_;
};

}  // namespace

Expression::Expression(std::unique_ptr<Node> root, std::string text)
    : root_(std::move(root)), text_(std::move(text)) {}
Expression::~Expression() = default;

Result<std::shared_ptr<const Expression>> Compile(std::string_view text) {
  KY_ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  KY_ASSIGN_OR_RETURN(std::unique_ptr<Node> root, Parser(std::move(tokens)).ParseAll());
  return std::shared_ptr<const Expression>(
      std::make_shared<Expression>(std::move(root), std::string(text)));
}

}  // namespace kangyun::fhir::fhirpath
