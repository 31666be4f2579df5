//! `export`: the same specs as `init`, as CloudFormation or Terraform.

use super::write::{write_files, write_files_reporting_to_stderr};
use super::*;

/// The template on stdout (`--out` absent) or into files, with the import file;
/// with an import requested, the identifiers of existing objects are read first.
pub(super) async fn export(
    config: &Config,
    s: &crate::config::ExportSettings,
) -> Result<Done, Error> {
    use crate::config::ExportFormat;
    use crate::export::{self, ExistingIds};
    if s.format == ExportFormat::Cloudformation {
        export::check_cloudformation(&s.input).map_err(Error::Usage)?;
    }
    let existing = if s.import {
        read_existing(config, &s.input).await?
    } else {
        ExistingIds::default()
    };
    let template = match s.format {
        ExportFormat::Cloudformation => export::cloudformation(&s.input),
        ExportFormat::Terraform => export::terraform(&s.input, &existing),
    };
    let mut planned = Vec::new();
    if let Some(path) = &s.out {
        let what = match s.format {
            ExportFormat::Cloudformation => "CloudFormation template",
            ExportFormat::Terraform => "Terraform configuration",
        };
        planned.push(PlannedFile::generated(path, template.clone(), what)?);
    }
    if let Some(path) = &s.import_file {
        let text = export::cloudformation_import(&s.input, &existing);
        planned.push(PlannedFile::generated(path, text, "resources to import")?);
    }
    if s.out.is_none() {
        // The template is the result: a file report would corrupt it on stdout.
        let shown = Template {
            format: format!("{:?}", s.format).to_lowercase(),
            template,
        };
        let code = if planned.is_empty() {
            exit::OK
        } else {
            let quiet = Config {
                ui: Ui {
                    output: Output::Text,
                    ..config.ui.clone()
                },
                ..config.clone()
            };
            write_files_reporting_to_stderr(&quiet, planned)
                .map_err(|e| Error::with_json_report(&shown, e))?
        };
        return Ok(match code {
            exit::OK => Done::new(&shown, code),
            _ => Done::pending(&shown, "the files were not written", None),
        });
    }
    write_files(config, planned)
}

/// The template as the result: the text itself, or `{"format", "template"}`.
#[derive(serde::Serialize)]
struct Template {
    format: String,
    template: String,
}

impl std::fmt::Display for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.template.trim_end_matches('\n'))
    }
}

/// The identifiers of the objects that exist already (for import).
async fn read_existing(
    config: &Config,
    input: &crate::export::ExportInput,
) -> Result<crate::export::ExistingIds, Error> {
    let aws = Aws::load(&config.aws).await?;
    let xray_api = XrayApi::new(&aws);
    let logs_api = LogsApi::new(&aws);
    let group = async {
        match &input.group {
            Some(g) => xray_api
                .find_group(&g.name, false)
                .await
                .map(|o| o.map(|g| g.arn)),
            None => Ok(None),
        }
    };
    let rule = async {
        match &input.rule {
            Some(r) => xray_api
                .find_rule(&r.name, false)
                .await
                .map(|o| o.map(|r| r.arn)),
            None => Ok(None),
        }
    };
    let groups = try_join_all(input.log_groups.iter().map(|g| async {
        logs_api
            .find(&g.name, false)
            .await
            .map(|o| o.map(|found| found.name))
    }));
    let (group_arn, rule_arn, log_groups) = config
        .ui
        .spin(
            &format!("reading the existing objects in {}", aws.region),
            async { tokio::try_join!(group, rule, groups) },
        )
        .await?;
    Ok(crate::export::ExistingIds {
        group_arn,
        rule_arn,
        log_groups: log_groups.into_iter().flatten().collect(),
    })
}
