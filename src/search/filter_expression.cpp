#include "search/filter_expression.h"

namespace kangyun::search {
namespace {

constexpr int kMaxNesting = 8;

const char* const kOperators[] = {"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "ap",
                                  "sa", "eb", "pr", "po", "ss", "sb", "in", "ni", "re"};

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<FilterNode> Parse() {
    KY_ASSIGN_OR_RETURN(FilterNode n, Or(0));
    SkipSpace();
    if (pos_ < s_.size()) return Fail("expected 'and', 'or' or the end");
    return n;
  }

 private:
  Status Fail(const std::string& what) const {
    return Invalid("_filter: " + what + " at position " + std::to_string(pos_ + 1), "_filter");
  }

  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }

  // The next word (letters, digits and the characters of paths and plain values), without
  // consuming it.
  std::string_view PeekWord() {
    SkipSpace();
    size_t end = pos_;
    while (end < s_.size() && s_[end] != ' ' && s_[end] != '\t' && s_[end] != '(' &&
           s_[end] != ')' && s_[end] != '"')
      ++end;
    return s_.substr(pos_, end - pos_);
  }

  bool Keyword(std::string_view word) {
    if (PeekWord() != word) return false;
    pos_ += word.size();
    return true;
  }

  Result<FilterNode> Or(int depth) {
    return Joined(depth, "or", FilterNode::Kind::kOr, &Parser::And);
  }
  Result<FilterNode> And(int depth) {
    return Joined(depth, "and", FilterNode::Kind::kAnd, &Parser::Unary);
  }

  // operand (keyword operand)*, left to right.
  Result<FilterNode> Joined(int depth, std::string_view keyword, FilterNode::Kind kind,
                            Result<FilterNode> (Parser::*operand)(int)) {
    KY_ASSIGN_OR_RETURN(FilterNode left, (this->*operand)(depth));
    while (Keyword(keyword)) {
      KY_ASSIGN_OR_RETURN(FilterNode right, (this->*operand)(depth));
      FilterNode n;
      n.kind = kind;
      n.children = {std::move(left), std::move(right)};
      left = std::move(n);
    }
    return left;
  }

  Result<FilterNode> Unary(int depth) {
    if (depth > kMaxNesting) return Fail("nesting deeper than 8");
    bool negated = Keyword("not");
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      KY_ASSIGN_OR_RETURN(FilterNode inner, Or(depth + 1));
      SkipSpace();
      if (pos_ >= s_.size() || s_[pos_] != ')') return Fail("expected ')'");
      ++pos_;
      if (!negated) return inner;
      FilterNode n;
      n.kind = FilterNode::Kind::kNot;
      n.children = {std::move(inner)};
      return n;
    }
    if (negated) return Fail("expected '(' after not");
    return Test();
  }

  Result<FilterNode> Test() {
    FilterNode n;
    n.path = std::string(PeekWord());
    if (n.path.empty()) return Fail("expected a search parameter");
    if (n.path.find('[') != std::string::npos)
      return Fail("filters on a parameter's values ([...]) are not supported");
    pos_ += n.path.size();
    n.op = std::string(PeekWord());
    bool known = false;
    for (const char* op : kOperators) known = known || n.op == op;
    if (!known) return Fail("expected an operator (eq, ne, co, sw, gt, lt, ge, le, pr, ...)");
    pos_ += n.op.size();
    SkipSpace();
    if (pos_ < s_.size() && s_[pos_] == '"') {
      ++pos_;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        n.value += s_[pos_++];
      }
      if (pos_ >= s_.size()) return Fail("a string without its closing quote");
      ++pos_;
    } else {
      n.value = std::string(PeekWord());
      pos_ += n.value.size();
    }
    if (n.value.empty()) return Fail("expected a value");
    return n;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<FilterNode> ParseFilterExpression(std::string_view text) { return Parser(text).Parse(); }

}  // namespace kangyun::search
