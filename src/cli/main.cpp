// kangyun: the one binary. `kangyun help` lists the subcommands.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli/commands.h"

namespace kangyun::cli {

std::string OptionValue(const char* command, const Args& args, size_t* i) {
  if (*i + 1 >= args.size()) {
    std::fprintf(stderr, "kangyun %s: %s needs a value\n", command, args[*i].c_str());
    std::exit(2);
  }
  return args[++*i];
}

std::string DefinitionsDir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("KANGYUN_DEFINITIONS"); env && *env) return env;
  return KANGYUN_DEFAULT_DEFINITIONS;
}

}  // namespace kangyun::cli

namespace {

const char* kUsage =
    "Kangyun (康云) regional health cloud\n\n"
    "usage: kangyun <command> [options]\n\n"
    "commands:\n"
    "  serve --db sqlite:PATH|postgresql://URL [--port N] [--host H] [--threads N]\n"
    "        [--body-limit BYTES] [--read-timeout SECONDS] [--base-url URL]\n"
    "        [--allowed-host NAME]...\n"
    "        [--export-dir DIR] [--definitions DIR]\n"
    "        [--auth | --insecure-open] [--issuer URL] [--access-token-seconds N]\n"
    "        [--tls-cert PEM --tls-key PEM] [--rate-limit N] [--max-connections-per-address N]\n"
    "        [--match-model FILE] [--max-search-results N] [--no-audit-trail]\n"
    "        [--audit-archive DIR]\n"
    "        [--subscription-retry-hours H] [--subscription-http-endpoints]\n"
    "        [--subscription-ca-file PEM] [--portal DIR] [--regulator-min-count N]\n"
    "        [--require-profile TYPE=URL]...\n"
    "        serve the FHIR R4 API at http://H:N/fhir (PostgreSQL: with authentication\n"
    "        unless --insecure-open; SQLite: open unless --auth); a sorted search pages\n"
    "        through its first N matches (10000); --no-audit-trail only to measure what\n"
    "        the audit trail costs; --audit-archive: where `audit archive` put the trail's\n"
    "        months, searched for a resident's records; a subscription's failing\n"
    "        endpoint is tried for H hours (72) before it goes to error; the web portal\n"
    "        is served at / from DIR (portal/dist, built by make portal; \"\" for none);\n"
    "        every TYPE written must conform to the profile URL (installed by `package`)\n"
    "  user add --db DB --username U --role ROLE [--organization ID] [--patient ID]\n"
    "        [--practitioner ID] [--display NAME] [--scopes S] --password-file FILE|--password "
    "P\n"
    "  user list --db DB\n"
    "        people who log in (roles: resident clinician family-doctor elder-care\n"
    "        regulator insurer admin)\n"
    "  client add --db DB --id ID --role ROLE [--organization ID] [--name N]\n"
    "        [--public-key PEM_OR_JWKS_FILE] [--redirect-uri URI]... [--scopes S]\n"
    "  client list --db DB\n"
    "        systems (JWT assertions, RS384/ES384) and apps (authorization code + PKCE)\n"
    "  audit verify --db DB [--archive DIR]\n"
    "        check the audit trail's hash chain (and its archived months, in DIR); exit 1\n"
    "        when it was tampered with\n"
    "  audit archive --db DB --dir DIR [--keep-months N]\n"
    "        move the trail's months before the last N (6) and the current one into\n"
    "        compressed files in DIR; the chain stays verifiable across them\n"
    "  mpi-eval CITY_DIR [--model-out FILE] [--examples N] [--match-requests FILE]\n"
    "        link a generated city's Patients, estimate the matching model, and report\n"
    "        precision, recall and F1 against the city's ground truth\n"
    "  mpi-estimate PATIENTS.ndjson... --model-out FILE\n"
    "        estimate the matching model from a registry's own Patients (as $export writes\n"
    "        them), for serve --match-model\n"
    "  fhirpath 'EXPRESSION' RESOURCE.json [--definitions DIR]\n"
    "        evaluate FHIRPath on a resource; prints the result as a JSON array\n"
    "  generate --residents N --seed S --out DIR [--bundles] [--bundle-size N]\n"
    "        [--duplicates SHARE] [--as-of YYYY-MM-DD] [--types T1,T2]\n"
    "        write a synthetic city as FHIR NDJSON (and transaction Bundles)\n"
    "  load --db sqlite:PATH|postgresql://URL DIR [--threads N] [--batch N] [--stats FILE]\n"
    "        load DIR/*.ndjson through the bulk path (validated and indexed as the API)\n"
    "  load --url http://HOST:PORT/fhir DIR [--connections N] [--bundle-size N]\n"
    "        post DIR/*.ndjson to a server as transaction Bundles\n"
    "  backup --db sqlite:PATH --out FILE\n"
    "        copy the embedded store while it serves (SQLite online backup)\n"
    "  restore --from FILE --db sqlite:PATH\n"
    "        put a backup back (the store must not be open)\n"
    "  package install FILE.tgz --db sqlite:PATH|postgresql://URL\n"
    "        install an implementation guide from a FHIR package: its profiles, value\n"
    "        sets, code systems and concept maps (restart a running server after it)\n"
    "  version\n";

void Usage() { std::fputs(kUsage, stderr); }

// The lines of the usage about one command: its entries and their explanations.
void CommandUsage(const std::string& command) {
  std::string text(kUsage), out;
  bool in_entry = false;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    std::string line = text.substr(at, end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind("  " + command + " ", 0) == 0 || line == "  " + command)
      in_entry = true;
    else if (line.rfind("        ", 0) != 0)
      in_entry = false;
    if (in_entry) out += line + "\n";
  }
  std::printf("usage: kangyun\n%s", out.empty() ? kUsage : out.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage();
    return 2;
  }
  std::string command = argv[1];
  kangyun::cli::Args args(argv + 2, argv + argc);
  // Every command: --help (or -h) before `--` shows its usage; `--` ends the options, and what
  // follows it is taken as it is.
  auto end_of_options = std::find(args.begin(), args.end(), "--");
  if (std::find(args.begin(), end_of_options, "--help") != end_of_options ||
      std::find(args.begin(), end_of_options, "-h") != end_of_options) {
    CommandUsage(command);
    return 0;
  }
  if (end_of_options != args.end()) args.erase(end_of_options);
  if (command == "serve") return kangyun::cli::ServeCommand(args);
  if (command == "fhirpath") return kangyun::cli::FhirPathCommand(args);
  if (command == "backup") return kangyun::cli::BackupCommand(args);
  if (command == "restore") return kangyun::cli::RestoreCommand(args);
  if (command == "generate") return kangyun::cli::GenerateCommand(args);
  if (command == "load") return kangyun::cli::LoadCommand(args);
  if (command == "user") return kangyun::cli::UserCommand(args);
  if (command == "client") return kangyun::cli::ClientCommand(args);
  if (command == "audit") return kangyun::cli::AuditCommand(args);
  if (command == "mpi-eval") return kangyun::cli::MpiEvalCommand(args);
  if (command == "mpi-estimate") return kangyun::cli::MpiEstimateCommand(args);
  if (command == "package") return kangyun::cli::PackageCommand(args);
  if (command == "version" || command == "--version") {
    std::printf("kangyun 0.1.0 (FHIR R4 4.0.1)\n");
    return 0;
  }
  if (command == "help" || command == "--help" || command == "-h") {
    Usage();
    return 0;
  }
  std::fprintf(stderr, "kangyun: unknown command '%s'\n\n", command.c_str());
  Usage();
  return 2;
}
