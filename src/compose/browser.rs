//! The frontend service's `REACT_APP_OTEL_COLLECTOR_URL`: where the browser sends
//! its spans (the collector's published 4318, by the dev environment's URL). An
//! entry added to the service's environment, or a note; never a change to
//! anything else (checked by re-parsing, as the backend's edit is).

use super::*;

/// The planned edit: the new text (the old one when nothing is added), the
/// change line, or a note saying why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BrowserEnvPlan {
    pub new_text: String,
    pub change: Option<String>,
    pub note: Option<String>,
}

/// The collector's URL as the browser reaches it in `env`.
pub(crate) fn collector_url(env: crate::devenv::DevEnv) -> &'static str {
    use crate::devenv::DevEnv;
    match env {
        DevEnv::Gitpod => "https://4318-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}",
        DevEnv::Codespaces => {
            "https://${CODESPACE_NAME}-4318.${GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN}"
        }
        DevEnv::Both | DevEnv::None => "http://localhost:4318",
    }
}

/// Adds `key: value` to `service`'s environment when it is not there.
pub(crate) fn plan_browser_env(
    text: &str,
    file: &str,
    service: &str,
    key: &str,
    value: &str,
) -> BrowserEnvPlan {
    let unchanged = |note: Option<String>| BrowserEnvPlan {
        new_text: text.to_string(),
        change: None,
        note,
    };
    let Ok(before) = parse_strict(text, file) else {
        return unchanged(None);
    };
    let Some(found) = before.get("services").and_then(|s| s.get(service)) else {
        return unchanged(None);
    };
    let env = found.get("environment").cloned().unwrap_or(Value::Null);
    if let Some((_, have)) = env_entries(&env).into_iter().find(|(k, _)| k == key) {
        return match have {
            Some(have) if have == value => unchanged(None),
            have => unchanged(Some(format!(
                "{service}.environment.{key} is {}: kept (the browser sends its spans there; cruddur-obs would write {value:?})",
                have.map_or_else(|| "set from the shell".to_string(), |h| format!("{h:?}"))
            ))),
        };
    }
    let refuse = |why: &str| {
        unchanged(Some(format!(
            "{service}'s environment {why}: add {key}: \"{value}\" by hand"
        )))
    };
    if !matches!(env, Value::Object(_) | Value::Array(_) | Value::Null) {
        return refuse("is neither a mapping nor a list");
    }
    let Ok(doc) = Document::from_str(text) else {
        return unchanged(None);
    };
    let Some(cst_service) = doc
        .get_mapping("services")
        .and_then(|s| s.get_mapping(service))
    else {
        return refuse("is not in a mapping the editor can follow");
    };
    if !cst_service.contains_key("environment") && !env.is_null() {
        return refuse("comes from a `<<:` merge");
    }
    if entry_value_text(&cst_service, "environment")
        .is_some_and(|v| v.starts_with('*') || v.starts_with('&'))
    {
        return refuse("is an anchor or alias other services may share");
    }
    let entry = [(key.to_string(), value.to_string())];
    edit_env(&cst_service, &env, &entry, &[]);
    let new_text = doc.to_string();
    let mut expected = before.clone();
    apply_expected(
        &mut expected["services"][service]["environment"],
        &entry,
        &[],
    );
    match parse_strict(&new_text, file) {
        Ok(after) if after == expected => BrowserEnvPlan {
            new_text,
            change: Some(format!("+ {service}.environment.{key}")),
            note: None,
        },
        _ => refuse("could not be edited safely"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "services:\n  backend-flask:\n    build: ./backend-flask\n  frontend-react-js:\n    build: ./frontend-react-js\n    environment:\n      REACT_APP_BACKEND_URL: \"https://4567-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"\n    ports:\n      - \"3000:3000\"\n";

    fn plan(text: &str) -> BrowserEnvPlan {
        plan_browser_env(
            text,
            "docker-compose.yml",
            "frontend-react-js",
            "REACT_APP_OTEL_COLLECTOR_URL",
            collector_url(crate::devenv::DevEnv::Gitpod),
        )
    }

    #[test]
    fn the_entry_is_added_after_the_others_and_nothing_else_changes() {
        let p = plan(FILE);
        assert_eq!(
            p.new_text,
            FILE.replace(
                "CLUSTER_HOST}\"\n    ports:",
                "CLUSTER_HOST}\"\n      REACT_APP_OTEL_COLLECTOR_URL: \"https://4318-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"\n    ports:"
            )
        );
        assert_eq!(
            p.change.as_deref(),
            Some("+ frontend-react-js.environment.REACT_APP_OTEL_COLLECTOR_URL")
        );
        // Twice: nothing more.
        let again = plan(&p.new_text);
        assert_eq!(again.new_text, p.new_text);
        assert_eq!((again.change, again.note), (None, None));
    }

    #[test]
    fn another_value_is_kept_with_a_note_and_a_list_gets_an_item() {
        let other = FILE.replace(
            "    ports:",
            "      REACT_APP_OTEL_COLLECTOR_URL: \"https://mine\"\n    ports:",
        );
        let p = plan(&other);
        assert_eq!(p.new_text, other);
        assert!(p.note.unwrap().contains("is \"https://mine\": kept"));
        let list = "services:\n  frontend-react-js:\n    environment:\n      - A=1\n";
        let p = plan(list);
        assert_eq!(
            p.new_text,
            "services:\n  frontend-react-js:\n    environment:\n      - A=1\n      - \"REACT_APP_OTEL_COLLECTOR_URL=https://4318-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}\"\n"
        );
        // No such service: nothing, no note.
        let p = plan("services:\n  backend-flask:\n    image: x\n");
        assert_eq!((p.change, p.note), (None, None));
    }

    #[test]
    fn an_alias_is_not_edited() {
        let text =
            "x-env: &env\n  A: \"1\"\nservices:\n  frontend-react-js:\n    environment: *env\n";
        let p = plan(text);
        assert_eq!(p.new_text, text);
        assert!(p.note.unwrap().contains("anchor or alias"));
    }
}
