//! `ebr user create`

use std::io::Read;

use ebr_db::repo::people::{self, NewPerson};
use ebr_domain::identity::{check_new_password, Role};

use super::{cli_actor, connect, CommandError, CommandResult};
use crate::auth::password;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;

/// Creates a person whose password (read from stdin) is temporary: they must
/// change it at first login (R17). Refuses generic usernames, reused usernames
/// and admin+GMP role sets, naming the rule.
pub fn run(
    settings: &Settings,
    username: &str,
    full_name: &str,
    roles: &[String],
    password_stdin: bool,
) -> CommandResult {
    if !password_stdin {
        return Err(CommandError::Refused(
            "pass --password-stdin and pipe the temporary password in (passwords are never taken from the command line)".into(),
        ));
    }
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .map_err(|e| CommandError::Refused(format!("cannot read the password from stdin: {e}")))?;
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    let username = username.trim().to_lowercase();
    let roles: Vec<Role> = roles
        .iter()
        .map(|r| Role::parse(r))
        .collect::<Result<_, _>>()
        .map_err(|e| CommandError::Refused(format!("refused ({}): {e}", e.rule())))?;
    check_new_password(&username, &password)
        .map_err(|e| CommandError::Refused(format!("refused ({}): {e}", e.rule())))?;
    let phc = password::hash(&password).map_err(|e| CommandError::Failed(anyhow::anyhow!(e)))?;
    let mut conn = connect(settings)?;
    ebr_db::migrate::run_pending(&mut conn)?;
    let person = people::create(
        &mut conn,
        NewPerson {
            username: &username,
            full_name,
            roles: &roles,
            phc,
            temporary: true,
        },
        &cli_actor(),
        SystemClock.now(),
    )
    .map_err(|e| match e {
        ebr_db::DbError::Domain(d) => CommandError::Refused(format!("refused ({}): {d}", d.rule())),
        other => other.into(),
    })?;
    let role_names: Vec<&str> = person.roles.iter().map(|r| r.as_str()).collect();
    println!(
        "created {} ({}) with role(s) {}, id {}; the password is temporary and must be changed at first login",
        person.person.username,
        person.person.full_name,
        role_names.join(", "),
        person.person.id
    );
    Ok(())
}
