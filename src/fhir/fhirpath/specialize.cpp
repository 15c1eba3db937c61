// SpecializeForType: search parameters shared by many resource types are one union of paths,
// one branch per type. Evaluating the whole union on every resource walks every other type's
// branch for nothing, so each type gets the branches that can apply to it, once, at load.
#include "fhir/fhirpath/ast.h"
#include "fhir/fhirpath/fhirpath.h"

namespace kangyun::fhir::fhirpath {
namespace {

void CollectBranches(const Node& node, std::vector<const Node*>* branches) {
  if (node.kind == Node::Kind::kBinary && node.name == "|") {
    CollectBranches(*node.children[0], branches);
    CollectBranches(*node.children[1], branches);
    return;
  }
  branches->push_back(&node);
}

// The identifier a path starts from (`Observation` in `(Observation.value as Quantity)`), or
// "" when the branch does not start with one.
std::string RootIdentifier(const Node& node) {
  const Node* n = &node;
  while (true) {
    switch (n->kind) {
      case Node::Kind::kInvoke:
      case Node::Kind::kIndexer:
      case Node::Kind::kTypeOp:
        n = n->children[0].get();
        continue;
      case Node::Kind::kIdentifier:
        return n->name;
      default:
        return "";
    }
  }
}

bool AppliesTo(const Node& branch, std::string_view type) {
  std::string root = RootIdentifier(branch);
  // Lower-case roots are element names of the resource itself; Resource and DomainResource
  // paths apply to every type.
  if (root.empty() || !(root[0] >= 'A' && root[0] <= 'Z')) return true;
  return root == type || root == "Resource" || root == "DomainResource";
}

std::unique_ptr<Node> Clone(const Node& node) {
  auto copy = std::make_unique<Node>();
  copy->kind = node.kind;
  copy->name = node.name;
  copy->literal = node.literal;
  copy->position = node.position;
  for (const auto& child : node.children) copy->children.push_back(Clone(*child));
  return copy;
}

}  // namespace

std::shared_ptr<const Expression> SpecializeForType(const std::shared_ptr<const Expression>& expr,
                                                    std::string_view type) {
  std::vector<const Node*> branches, kept;
  CollectBranches(expr->root(), &branches);
  for (const Node* b : branches)
    if (AppliesTo(*b, type)) kept.push_back(b);
  if (kept.size() == branches.size()) return expr;
  if (kept.empty()) return nullptr;
  std::unique_ptr<Node> root = Clone(*kept[0]);
  for (size_t i = 1; i < kept.size(); ++i) {
    auto join = std::make_unique<Node>();
    join->kind = Node::Kind::kBinary;
    join->name = "|";
    join->position = kept[i]->position;
    join->children.push_back(std::move(root));
    join->children.push_back(Clone(*kept[i]));
    root = std::move(join);
  }
  return std::make_shared<Expression>(std::move(root),
                                      expr->text() + " (for " + std::string(type) + ")");
}

}  // namespace kangyun::fhir::fhirpath
