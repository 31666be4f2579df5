//! The arguments of the commands for AWS objects: `xray`, `logs`, `export`, `iam`.

use clap::{Args, Subcommand};

use super::*;

#[derive(Debug, Subcommand)]
pub(crate) enum XrayCommand {
    /// Create the X-Ray group (or bring it in line with the options)
    ///
    /// Example: cruddur-obs xray create-group --region ca-central-1
    CreateGroup(GroupArgs),
    /// Create the X-Ray sampling rule from the bundled JSON or an awscli input file
    ///
    /// Example: cruddur-obs xray create-sampling-rule --cli-input-json file://aws/json/xray.json
    CreateSamplingRule(RuleArgs),
    /// Compare the group and the sampling rule in AWS with what they should be
    ///
    /// Exit 0 when both are in sync, 3 when something would change.
    Status {
        #[command(flatten)]
        group: GroupArgs,
        #[command(flatten)]
        rule: RuleArgs,
    },
    /// Delete the group and the sampling rule (already absent is fine)
    ///
    /// The built-in Default rule and group are never deleted.
    Delete {
        /// Name of the group to delete
        #[arg(long = "name", value_name = "NAME", default_value = crate::xray::DEFAULT_GROUP)]
        group_name: String,
        /// Name of the sampling rule to delete [default: the bundled rule's name]
        #[arg(long, value_name = "NAME")]
        rule_name: Option<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct GroupArgs {
    /// Name of the group
    #[arg(long, value_name = "NAME", default_value = crate::xray::DEFAULT_GROUP)]
    pub name: String,
    /// Which traces belong to the group
    #[arg(long, value_name = "EXPR", default_value = crate::xray::DEFAULT_FILTER)]
    pub filter_expression: String,
    /// Enable X-Ray Insights on the group
    #[arg(long)]
    pub insights: bool,
    /// Tag the group (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

#[derive(Debug, Args, Clone)]
pub(crate) struct RuleArgs {
    /// The rule, in the format of `aws xray create-sampling-rule --cli-input-json`
    /// ({"SamplingRule": {...}, "Tags": [...]}); a file:// prefix is accepted
    /// [default: the bundled rule for service backend-flask]
    #[arg(long, value_name = "FILE")]
    pub cli_input_json: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum LogsCommand {
    /// Create the log groups with a retention and tags (or bring them in line)
    ///
    /// New CloudWatch log groups never expire, and are billed forever: this sets a
    /// retention right away. Example: cruddur-obs logs create-group cruddur --retention-days 14
    CreateGroup(LogGroupArgs),
    /// Compare the log groups in CloudWatch with what they should be
    ///
    /// Exit 0 when all are in sync, 3 when something would change.
    Status(LogGroupArgs),
    /// Delete the log groups and their logs (asks first; already absent is fine)
    Delete {
        /// Log group names [default: cruddur]
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct LogGroupArgs {
    /// Log group names [default: cruddur]
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Days to keep log events (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)
    #[arg(long, value_name = "DAYS", default_value_t = crate::logs::DEFAULT_RETENTION_DAYS.into())]
    pub retention_days: i64,
    /// Log group class (fixed at creation) [default: STANDARD for new groups; any for existing]
    #[arg(long, value_enum, value_name = "CLASS")]
    pub class: Option<LogClassArg>,
    /// KMS key to encrypt the logs with
    #[arg(long, value_name = "ARN")]
    pub kms_key_id: Option<String>,
    /// Tag the groups, besides project=cruddur and managed-by=cruddur-obs (repeatable)
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ExportCommand {
    /// A CloudFormation template of the X-Ray group, the sampling rule and the log
    /// groups (the same objects, with the same properties, as init creates)
    ///
    /// Deterministic: the same options give the same bytes. Deploy it with
    /// `aws cloudformation deploy`; --import-file writes what CloudFormation needs
    /// to adopt objects cruddur-obs already created (reads the account).
    /// Example: cruddur-obs export cloudformation --out cruddur-obs.cfn.yaml
    Cloudformation {
        #[command(flatten)]
        what: ExportArgs,
        /// Also write the resources-to-import JSON for
        /// `aws cloudformation create-change-set --change-set-type IMPORT`,
        /// with the identifiers read from the account
        #[arg(long, value_name = "FILE")]
        import_file: Option<std::path::PathBuf>,
    },
    /// The same objects as Terraform (HCL) for the AWS provider
    ///
    /// With --import, reads the account and adds `import` blocks for the objects
    /// that exist already. Example: cruddur-obs export terraform --out cruddur-obs.tf
    Terraform {
        #[command(flatten)]
        what: ExportArgs,
        /// Read the account and add `import` blocks for the objects that exist
        #[arg(long)]
        import: bool,
    },
}

#[derive(Debug, Args, Clone)]
pub(crate) struct ExportArgs {
    /// Leave a part out (repeatable): xray or logs
    #[arg(long, value_enum, value_name = "PART")]
    pub without: Vec<PartArg>,
    /// Days to keep the app's logs
    #[arg(long, value_name = "DAYS", default_value_t = crate::logs::DEFAULT_RETENTION_DAYS.into())]
    pub retention_days: i64,
    /// Log group names (repeatable) [default: cruddur]
    #[arg(long = "log-group", value_name = "NAME")]
    pub log_groups: Vec<String>,
    /// Log group class [default: STANDARD]
    #[arg(long, value_enum, value_name = "CLASS")]
    pub class: Option<LogClassArg>,
    /// KMS key to encrypt the logs with
    #[arg(long, value_name = "ARN")]
    pub kms_key_id: Option<String>,
    /// The sampling rule, in awscli's --cli-input-json format [default: the bundled rule]
    #[arg(long, value_name = "FILE")]
    pub cli_input_json: Option<String>,
    /// Enable X-Ray Insights on the group
    #[arg(long)]
    pub insights: bool,
    /// Add a managed IAM policy with the write permissions the app needs
    #[arg(long)]
    pub iam_policy: bool,
    /// Write to this file instead of stdout (atomically; a diff is shown first
    /// when it exists)
    #[arg(long, value_name = "FILE")]
    pub out: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum IamCommand {
    /// Print the policy (JSON) the app's credentials need: X-Ray segments and
    /// sampling, and log events in the app's log groups (never creating groups)
    ///
    /// Example: cruddur-obs iam policy > policy.json &&
    /// aws iam put-user-policy --user-name cruddur --policy-name cruddur-obs --policy-document file://policy.json
    Policy {
        /// Log group names (repeatable) [default: cruddur]
        #[arg(long = "log-group", value_name = "NAME")]
        log_groups: Vec<String>,
        /// Leave a part out (repeatable): xray or logs
        #[arg(long, value_enum, value_name = "PART")]
        without: Vec<PartArg>,
        /// Narrow the log group ARNs to this account [default: any]
        #[arg(long, value_name = "ID")]
        account: Option<String>,
    },
}
